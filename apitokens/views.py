"""The "API tokens" section of the preferences page (templates/core/partials/tokens.html loads it with htmx).

A new token's secret is in the answer to its creation only; afterwards the page shows its prefix.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.views_helpers import run_service

from . import services
from .forms import TokenForm
from .models import ApiToken


def _render(request, form, status=200, new_key=None):
    if request.htmx and status >= 400:
        status = 200  # htmx swaps only successful answers; the fragment itself shows the errors on the fields
    context = {"token_form": form, "tokens": ApiToken.objects.filter(user=request.user), "new_key": new_key}
    template = "apitokens/section.html" if request.htmx else "apitokens/page.html"
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    if request.method == "GET":
        return _render(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _render(request, form, status=400)
    created, status = run_service(request, lambda: services.create_token(actor=request.user, **form.cleaned_data),
                                  form)
    if created is None:
        return _render(request, form, status=status)
    _token, key = created
    return _render(request, TokenForm(), status=201 if request.htmx else 200, new_key=key)


@login_required
@require_POST
def revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)  # someone else's token: 404
    _token, status = run_service(request, lambda: services.revoke_token(token, actor=request.user))
    if status == 200:
        messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return _render(request, TokenForm(), status=status)
