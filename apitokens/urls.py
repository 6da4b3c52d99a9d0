from django.urls import path

from . import views

urlpatterns = [
    path("tokens/", views.tokens, name="api-tokens"),
    path("tokens/<int:pk>/revoke/", views.revoke, name="api-token-revoke"),
]
