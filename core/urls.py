from allauth.account import views as account_views
from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("login/", account_views.LoginView.as_view(), name="login"),  # allauth: password, then a second factor
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("preferences/", views.preferences, name="preferences"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/unread/", views.unread_count, name="notifications-unread"),
    path("notifications/read/", views.mark_notifications_read, name="notifications-read"),
]
