"""Routes of the known-error API under /api/v1/."""

from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("known-errors", views.KnownErrorViewSet, basename="knownerror")

urlpatterns = router.urls
