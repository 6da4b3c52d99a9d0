"""Desk pages of the knowledge base, mounted at /desk/knowledge/ (records.registry)."""

from django.urls import path

from . import views

app_name = "knowledge"
urlpatterns = [
    path("", views.article_list, name="list"),
    path("new/", views.article_create, name="create"),
    path("from-incident/<str:number>/", views.from_incident, name="from-incident"),
    path("from-known-error/<str:number>/", views.from_known_error, name="from-known-error"),
    path("incident-panel/<str:number>/", views.incident_panel, name="incident-panel"),
    path("<str:number>/", views.article_detail, name="detail"),
    path("<str:number>/edit/", views.article_edit, name="edit"),
    path("<str:number>/action/", views.article_action, name="action"),
]
