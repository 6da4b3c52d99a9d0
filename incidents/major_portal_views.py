"""The portal's side of major incidents: "this affects me too" from the banner on the home page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.numbering import normalise_number
from core.views_helpers import run_service

from . import major


@login_required
@require_POST
def affects_me(request, number):
    # Only a major incident announced to this person (the banner's rule); anything else is not found.
    incident = get_object_or_404(major.major_incidents_for(request.user), number=normalise_number("INC", number))
    result, status = run_service(request, lambda: major.join_major(incident, actor=request.user))
    if result is None:
        return render(request, "servicedesk/major_join_refused.html", {"major": incident}, status=status)
    mine, created = result
    if created:
        text = _("Thank you. We recorded %(number)s for you and will keep you updated on this major incident.")
    else:
        text = _("Thank you. %(number)s is now followed as part of this major incident.")
    messages.success(request, text % {"number": mine.number})
    return redirect("portal:incident-detail", number=mine.number)
