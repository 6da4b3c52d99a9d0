from django.urls import path

from . import views

app_name = "cmdb"
urlpatterns = [
    path("", views.ci_list, name="list"),
    path("new/", views.ci_create, name="create"),
    path("import/", views.import_page, name="import"),
    path("import/<int:pk>/", views.import_job, name="import-job"),
    path("<int:pk>/", views.ci_detail, name="detail"),
    path("<int:pk>/edit/", views.ci_edit, name="edit"),
    path("<int:pk>/history/", views.ci_history, name="history"),
    path("<int:pk>/compare/", views.ci_compare, name="compare"),
    path("<int:pk>/relationships/", views.relationship_add, name="relationship-add"),
    path("<int:pk>/relationships/<int:relationship_id>/delete/", views.relationship_delete,
         name="relationship-delete"),
]
