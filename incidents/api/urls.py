"""Routes of the incident API under /api/v1/."""

from rest_framework.routers import DefaultRouter

from incidents import major_api

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("attachments", views.AttachmentViewSet, basename="attachment")
router.register("priority-matrix", views.PriorityMatrixViewSet, basename="prioritymatrixentry")

urlpatterns = router.urls + major_api.urlpatterns
