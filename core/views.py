from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .forms import PreferencesForm
from .roles import is_staff_member


def home(request):
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect("incidents:queue" if is_staff_member(request.user) else "portal:home")


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """An invited person chooses their password, then signs in (the link works once: the token covers the hash)."""

    template_name = "registration/password_set.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        messages.success(self.request, _("Your password is set. Sign in with it."))
        return super().form_valid(form)


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        translation.activate(request.user.language)
        messages.success(request, _("Your preferences were saved."))
        return redirect("preferences")
    return render(request, "core/preferences.html", {"form": form})


@login_required
@require_GET
def notifications(request):
    """What the portal told this person (SLA warnings, replies, state changes), newest first."""
    page = Paginator(request.user.notifications.all(), 30).get_page(request.GET.get("page"))
    return render(request, "core/notifications.html", {"page": page})


@login_required
@require_GET
def unread_count(request):
    """The navbar badge, loaded by htmx after the page so it costs the page itself no query."""
    count = request.user.notifications.filter(read_at__isnull=True).count()
    return HttpResponse(str(count) if count else "")


@login_required
@require_POST
def mark_notifications_read(request):
    request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("notifications")
