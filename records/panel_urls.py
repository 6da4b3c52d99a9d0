"""Desk URLs of the panels every record kind shares (records.views_panels) and the framework's desk pages."""

from django.urls import path

from . import views_desk, views_panels

app_name = "records"
urlpatterns = [
    path("effort/", views_desk.effort_totals, name="effort"),
    path("reply-templates/", views_desk.my_templates, name="my-templates"),
    path("reply-templates/<int:pk>/delete/", views_desk.delete_my_template, name="my-template-delete"),
    path("<str:kind_key>/<str:number>/watchers/", views_panels.watchers_panel, name="watchers"),
    path("<str:kind_key>/<str:number>/watch/", views_panels.watch, name="watch"),
    path("<str:kind_key>/<str:number>/unwatch/", views_panels.unwatch, name="unwatch"),
    path("<str:kind_key>/<str:number>/watchers/add/", views_panels.add_watcher, name="watcher-add"),
    path("<str:kind_key>/<str:number>/watchers/<int:user_id>/remove/", views_panels.remove_watcher,
         name="watcher-remove"),
    path("<str:kind_key>/<str:number>/links/", views_panels.links_panel, name="links"),
    path("<str:kind_key>/<str:number>/links/add/", views_panels.add_link, name="link-add"),
    path("<str:kind_key>/<str:number>/links/<int:link_id>/unlink/", views_panels.remove_link, name="link-remove"),
    path("<str:kind_key>/<str:number>/time/", views_panels.time_panel, name="time"),
    path("<str:kind_key>/<str:number>/timeline/", views_panels.timeline_panel, name="timeline"),
    path("<str:kind_key>/<str:number>/reply-text/", views_panels.reply_text, name="reply-text"),
]
