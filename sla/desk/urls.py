"""Calendar and agreement pages, mounted at /sla/ (after /sla/dashboard/, which keeps its own URLs)."""

from django.urls import path

from . import agreement_views, views

app_name = "sla-desk"
urlpatterns = [
    path("calendars/", views.calendar_list, name="calendars"),
    path("calendars/new/", views.calendar_create, name="calendar-create"),
    path("calendars/<int:pk>/", views.calendar_detail, name="calendar"),
    path("calendars/<int:pk>/edit/", views.calendar_edit, name="calendar-edit"),
    path("calendars/<int:pk>/delete/", views.calendar_delete, name="calendar-delete"),
    path("calendars/<int:pk>/fill/", views.calendar_fill, name="calendar-fill"),
    path("calendars/<int:pk>/exceptions/new/", views.exception_create, name="exception-create"),
    path("calendars/<int:pk>/exceptions/<int:exception_id>/edit/", views.exception_edit, name="exception-edit"),
    path("calendars/<int:pk>/exceptions/<int:exception_id>/delete/", views.exception_delete,
         name="exception-delete"),
    path("agreements/", agreement_views.agreement_list, name="agreements"),
    path("agreements/new/", agreement_views.agreement_create, name="agreement-create"),
    path("agreements/<int:pk>/", agreement_views.agreement_detail, name="agreement"),
    path("agreements/<int:pk>/edit/", agreement_views.agreement_edit, name="agreement-edit"),
    path("agreements/<int:pk>/delete/", agreement_views.agreement_delete, name="agreement-delete"),
]
