from allauth.account import views as account_views
from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("login/", account_views.LoginView.as_view(), name="login"),  # allauth: password, then a second factor
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("preferences/", views.preferences, name="preferences"),
    # Invited people choose their first password here (the link in the invitation mail, core.invitations).
    path("password/set/<uidb64>/<token>/", views.PasswordSetView.as_view(), name="password-set"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/unread/", views.unread_count, name="notifications-unread"),
    path("notifications/read/", views.mark_notifications_read, name="notifications-read"),
]
