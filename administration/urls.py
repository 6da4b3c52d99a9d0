from django.urls import path

from identity import views as identity_views

from . import views

app_name = "administration"
urlpatterns = [
    path("", views.index, name="index"),
    path("users/<int:pk>/active/", views.user_set_active, name="user-active"),
    path("users/<int:pk>/invitation/", views.user_send_invitation, name="user-invitation"),
    path("groups/<int:pk>/members/", views.group_member_add, name="group-member-add"),
    path("groups/<int:pk>/members/<int:user_id>/remove/", views.group_member_remove, name="group-member-remove"),
    path("ci-classes/<int:pk>/attributes/", views.attribute_add, name="attribute-add"),
    path("ci-classes/<int:pk>/attributes/<int:attribute_id>/delete/", views.attribute_delete,
         name="attribute-delete"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("sign-in/", identity_views.mfa_policy, name="sign-in"),  # identity's page, beside the sections
    path("<slug:section>/", views.section_list, name="list"),
    path("<slug:section>/new/", views.section_create, name="create"),
    path("<slug:section>/<int:pk>/", views.section_edit, name="edit"),
]
