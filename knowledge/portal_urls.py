"""The portal's knowledge pages, mounted at /portal/knowledge/ (records.registry)."""

from django.urls import path

from . import portal_views as views

app_name = "knowledge-portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("suggestions/", views.suggestions, name="suggestions"),
    path("<str:number>/", views.article, name="article"),
    path("<str:number>/vote/", views.vote, name="vote"),
    path("<str:number>/solved/", views.solved, name="solved"),
]
