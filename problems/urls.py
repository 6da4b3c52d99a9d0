from django.urls import path

from . import views

app_name = "problems"
urlpatterns = [
    path("", views.problem_list, name="list"),
    path("new/", views.create, name="create"),
    path("candidates/", views.candidates, name="candidates"),
    path("candidates/<int:pk>/<str:decision>/", views.decide_candidate, name="decide-candidate"),
    path("raise/<str:incident_number>/", views.raise_from_incident, name="raise-from-incident"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/edit/", views.edit, name="edit"),
    path("<str:number>/action/", views.action, name="action"),
    path("<str:number>/note/", views.note, name="note"),
    path("<str:number>/link-incident/", views.link_incident, name="link-incident"),
    path("<str:number>/link-ci/", views.link_ci, name="link-ci"),
]
