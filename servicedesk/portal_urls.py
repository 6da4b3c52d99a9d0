from django.http import HttpResponse
from django.urls import path

app_name = "portal"
urlpatterns = [
    path("", lambda r: HttpResponse(""), name="home"),
    path("incidents/<str:number>/", lambda r, number: HttpResponse(""), name="incident-detail"),
]
