from django.urls import path

from incidents import major_portal_views

from . import portal_views as views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("report/", views.report, name="report"),
    path("incidents/<str:number>/", views.incident_detail, name="incident-detail"),
    path("incidents/<str:number>/reply/", views.reply, name="reply"),
    path("incidents/<str:number>/action/", views.action, name="action"),
    path("major/<str:number>/affects-me/", major_portal_views.affects_me, name="major-affects-me"),
]
