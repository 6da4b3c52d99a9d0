"""Mail to the requester about their incident, in the requester's language. Exactly once per key (core.notify)."""

from django.urls import reverse

from core.notify import notify

from .models import Incident, IncidentComment


def send_incident_mail(incident_id, kind, comment_id=None):
    incident = Incident.objects.select_related("requester", "assignment_group").filter(pk=incident_id).first()
    if incident is None:
        return False
    comment = None
    if comment_id is not None:
        comment = IncidentComment.objects.filter(pk=comment_id, is_internal=False).select_related("author").first()
        if comment is None:
            return False
    action = kind.split(":")[1] if kind.startswith("state:") else ""
    template = "acknowledgement" if kind == "acknowledgement" else "reply" if kind == "reply" else "state"
    return notify(
        incident.requester,
        key=f"incident:{incident.pk}:{kind}:{comment_id or ''}",
        subject_template=f"incidents/mail/{template}_subject.txt",
        body_template=f"incidents/mail/{template}_body.txt",
        context={"incident": incident, "comment": comment, "action": action},
        url=reverse("portal:incident-detail", args=[incident.number]),
    )
