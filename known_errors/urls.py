from django.urls import path

from . import views

app_name = "known_errors"
urlpatterns = [
    path("", views.known_error_list, name="list"),
    path("new/", views.create, name="create"),
    path("for-incident/<str:incident_number>/", views.incident_panel, name="incident-panel"),
    path("for-incident/<str:incident_number>/link/<str:number>/", views.link_incident, name="link-incident"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/edit/", views.edit, name="edit"),
    path("<str:number>/transition/", views.transition, name="transition"),
]
