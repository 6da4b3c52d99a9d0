"""Routes of the knowledge API under /api/v1/knowledge/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("knowledge/articles", views.ArticleViewSet, basename="article")

urlpatterns = [
    path("knowledge/suggestions/", views.SuggestionsView.as_view(), name="knowledge-suggestions"),
    *router.urls,
]
