"""Routes of the shared lookups under /api/v1/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("users", views.UserViewSet, basename="user")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("groups", views.AssignmentGroupViewSet, basename="assignmentgroup")
router.register("saved-views", views.SavedViewViewSet, basename="savedview")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    *router.urls,
]
