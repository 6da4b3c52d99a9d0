from django.urls import path

from . import ci_views, major_views, queue_views, views

app_name = "incidents"
urlpatterns = [
    path("", queue_views.queue, name="queue"),
    path("bulk/", queue_views.bulk_action, name="bulk"),
    path("views/", queue_views.save_view, name="save-view"),
    path("views/<int:pk>/delete/", queue_views.delete_view, name="delete-view"),
    path("requesters/", queue_views.requester_search, name="requester-search"),
    path("new/", views.create, name="create"),
    path("priority-matrix/", views.priority_matrix, name="priority-matrix"),
    path("major/", major_views.major_list, name="major-list"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/edit/", views.edit, name="edit"),
    path("<str:number>/assign/", views.assign, name="assign"),
    path("<str:number>/transition/", views.transition, name="transition"),
    path("<str:number>/comment/", views.comment, name="comment"),
    path("<str:number>/merge/", views.merge, name="merge"),
    path("<str:number>/history/", views.history, name="history"),
    path("<str:number>/cis/", ci_views.panel, name="cis"),
    path("<str:number>/cis/link/", ci_views.link, name="cis-link"),
    path("<str:number>/cis/<int:ci_id>/unlink/", ci_views.unlink, name="cis-unlink"),
    path("<str:number>/cis/fill-services/", ci_views.fill_services, name="cis-fill-services"),
    path("<str:number>/major/", major_views.page, name="major"),
    path("<str:number>/major/panel/", major_views.panel, name="major-panel"),
    path("<str:number>/major/declare/", major_views.declare, name="major-declare"),
    path("<str:number>/major/dismiss/", major_views.dismiss, name="major-dismiss"),
    path("<str:number>/major/update/", major_views.update, name="major-update"),
    path("<str:number>/major/attach/", major_views.attach, name="major-attach"),
    path("<str:number>/major/review/", major_views.review, name="major-review"),
]
