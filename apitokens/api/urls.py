from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("tokens", views.ApiTokenViewSet, basename="apitoken")
router.register("admin/tokens", views.AdminApiTokenViewSet, basename="admin-apitoken")

urlpatterns = router.urls
