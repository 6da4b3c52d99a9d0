"""Mail about an incident to its requester and its watchers, each in their own language. Exactly once per person and
key (core.notify): a retried delivery mails only those not yet mailed."""

from django.urls import reverse

from core.notify import notify
from core.roles import is_staff_member
from records.watchers import watchers_of

from .models import Incident, IncidentComment

# The acknowledgement is the requester's alone; replies and state changes are public updates watchers follow too.
WATCHED_KINDS = ("reply", "state:")


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
    key = f"incident:{incident.pk}:{kind}:{comment_id or ''}"

    def tell(person, url):
        return notify(
            person, key=key,
            subject_template=f"incidents/mail/{template}_subject.txt",
            body_template=f"incidents/mail/{template}_body.txt",
            context={"incident": incident, "comment": comment, "action": action},
            url=url,
        )

    sent = tell(incident.requester, reverse("portal:incident-detail", args=[incident.number]))
    if kind.startswith(WATCHED_KINDS):
        for person in _watchers_to_tell(incident, comment):
            tell(person, reverse("incidents:detail", args=[incident.number]) if is_staff_member(person)
                 else reverse("portal:incident-detail", args=[incident.number]))
    return sent


def _watchers_to_tell(incident, comment):
    """Watchers who still may see the incident, not the requester (told above) nor the reply's own author."""
    skip = {incident.requester_id, comment.author_id if comment else None}
    visible = Incident.objects.filter(pk=incident.pk)
    return [person for person in watchers_of(incident)
            if person.pk not in skip and visible.visible_to(person).exists()]
