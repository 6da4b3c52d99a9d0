"""Routes of the CMDB API under /api/v1/cmdb/."""

from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("cmdb/classes", views.CIClassViewSet, basename="ciclass")
router.register("cmdb/attribute-definitions", views.AttributeDefinitionViewSet, basename="attributedefinition")
router.register("cmdb/relationship-types", views.RelationshipTypeViewSet, basename="relationshiptype")
router.register("cmdb/cis", views.ConfigurationItemViewSet, basename="configurationitem")
router.register("cmdb/relationships", views.RelationshipViewSet, basename="relationship")
router.register("cmdb/import-jobs", views.ImportJobViewSet, basename="importjob")

urlpatterns = router.urls
