"""incidents.services beyond the state machine: creation, priority, locking, merge, parent/child, attachments, audit."""

import importlib
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from pghistory.models import Events

from core.exceptions import Conflict, PayloadTooLarge, StaleVersion
from incidents import services
from incidents.choices import Action, Channel, Impact, Priority, ResolutionCode, State, Urgency
from incidents.models import Incident, IncidentAttachment, IncidentComment, IncidentEvent, PriorityMatrixEntry
from tests.factories import CategoryFactory, IncidentFactory, ServiceFactory

DEFAULT_MATRIX = importlib.import_module("incidents.migrations.0002_number_sequence_and_priority_matrix").DEFAULT_MATRIX


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def report(cast, actor=None, **kwargs):
    kwargs.setdefault("title", "Printer on floor 3 jams")
    return services.create_incident(actor=actor or cast.end_user, **kwargs)


# Creation ------------------------------------------------------------------------------------------------------------

def test_end_user_reports_for_themselves(cast):
    incident = report(cast, channel=Channel.PHONE, assignment_group=cast.other_group, is_major=True)
    assert re.fullmatch(r"INC-\d{6}", incident.number)
    assert (incident.requester, incident.logged_by, incident.organisation) == (cast.end_user, cast.end_user, cast.org)
    # What only the desk decides is ignored when an end user sends it.
    assert (incident.channel, incident.assignment_group, incident.is_major) == (Channel.PORTAL, None, False)
    assert (incident.state, incident.version) == (State.NEW, 1)


def test_end_user_cannot_report_for_someone_else(cast):
    with pytest.raises(PermissionDenied):
        report(cast, requester=cast.colleague)
    assert not Incident.objects.exists()


def test_agent_logs_a_phone_call_for_a_caller(cast):
    incident = report(cast, actor=cast.agent, requester=cast.end_user, channel=Channel.PHONE,
                      assignment_group=cast.group, is_major=True)
    assert (incident.requester, incident.logged_by, incident.organisation) == (cast.end_user, cast.agent, cast.org)
    assert (incident.channel, incident.is_major) == (Channel.PHONE, True)
    assert (incident.state, incident.assignment_group) == (State.ASSIGNED, cast.group)


def test_default_group_from_the_service_assigns_it(cast):
    service = ServiceFactory(support_group=cast.other_group)
    incident = report(cast, service=service)
    assert (incident.state, incident.assignment_group) == (State.ASSIGNED, cast.other_group)


def test_default_group_from_the_category_assigns_it(cast):
    category = CategoryFactory(default_group=cast.group)
    incident = report(cast, category=category, service=cast.service)  # the service has no support group
    assert (incident.state, incident.assignment_group) == (State.ASSIGNED, cast.group)


def test_numbers_are_unique_and_increasing(cast):
    first, second = report(cast), report(cast)
    assert int(second.number[4:]) > int(first.number[4:])


def test_invalid_fields_save_nothing(cast):
    with pytest.raises(ValidationError) as raised:
        report(cast, title="", impact=9)
    assert {"title", "impact"} <= set(raised.value.message_dict)
    assert not Incident.objects.exists()


# Priority matrix -----------------------------------------------------------------------------------------------------

MATRIX_CELLS = [
    pytest.param(impact, urgency, priority, id=f"impact{impact}-urgency{urgency}")
    for impact, row in enumerate(DEFAULT_MATRIX, start=1)
    for urgency, priority in enumerate(row, start=1)
]


def test_default_matrix_is_seeded_with_the_four_levels(db):
    cells = {(e.impact, e.urgency): e.priority for e in PriorityMatrixEntry.objects.all()}
    assert len(cells) == 16
    assert set(cells.values()) == set(Priority.values)


@pytest.mark.parametrize(("impact", "urgency", "priority"), MATRIX_CELLS)
def test_priority_follows_the_default_matrix(cast, impact, urgency, priority):
    # Reported by the desk: an end user's report always starts at minor impact (test_security_input.py).
    assert report(cast, actor=cast.agent, impact=impact, urgency=urgency).priority == priority


def test_priority_follows_an_edited_cell(cast):
    incident = report(cast, impact=Impact.MINOR, urgency=Urgency.LOW)
    assert incident.priority == Priority.P4
    services.save_priority_matrix({(Impact.MINOR, Urgency.LOW): Priority.P2}, actor=cast.admin)

    assert report(cast, impact=Impact.MINOR, urgency=Urgency.LOW).priority == Priority.P2
    updated = services.update_incident(incident, actor=cast.agent, version=incident.version, urgency=Urgency.LOW)
    assert updated.priority == Priority.P2  # recalculated on the next edit of the record


def test_priority_is_recalculated_when_impact_changes(cast):
    incident = report(cast, impact=Impact.MINOR, urgency=Urgency.CRITICAL)
    assert incident.priority == Priority.P3
    updated = services.update_incident(incident, actor=cast.agent, version=1, impact=Impact.EXTENSIVE)
    assert (updated.priority, updated.version) == (Priority.P1, 2)


def test_only_an_admin_edits_the_matrix(cast):
    with pytest.raises(PermissionDenied):
        services.save_priority_matrix({(1, 1): Priority.P4}, actor=cast.manager)
    assert PriorityMatrixEntry.objects.get(impact=1, urgency=1).priority == Priority.P1


# Optimistic locking --------------------------------------------------------------------------------------------------

def test_stale_version_on_update_saves_nothing(cast):
    incident = report(cast)
    mine, theirs = Incident.objects.get(pk=incident.pk), Incident.objects.get(pk=incident.pk)
    services.update_incident(theirs, actor=cast.agent2, version=theirs.version, title="Their title")
    events_before = IncidentEvent.objects.filter(pgh_obj=incident).count()

    with pytest.raises(StaleVersion) as raised:
        services.update_incident(mine, actor=cast.agent, version=mine.version, title="My title")

    assert raised.value.status_code == 409
    assert raised.value.extra == {"current_version": 2}
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.title, stored.version) == ("Their title", 2)
    assert IncidentEvent.objects.filter(pgh_obj=incident).count() == events_before


def test_stale_version_on_transition_and_reply_saves_nothing(cast):
    incident = report(cast, actor=cast.agent, requester=cast.end_user, assignment_group=cast.group)
    services.transition_incident(incident, Action.TAKE, actor=cast.agent, version=1)
    with pytest.raises(StaleVersion):
        services.transition_incident(incident, Action.RESOLVE, actor=cast.agent, version=1,
                                     resolution_code=ResolutionCode.SOLVED, resolution_notes="done")
    with pytest.raises(StaleVersion):
        services.add_comment(incident, actor=cast.agent, body="hello", version=1)
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.state, stored.version) == (State.IN_PROGRESS, 2)
    assert not stored.comments.exists()


def test_end_user_cannot_edit_and_unknown_fields_are_refused(cast):
    incident = report(cast)
    with pytest.raises(PermissionDenied):
        services.update_incident(incident, actor=cast.end_user, version=1, title="Mine now")
    with pytest.raises(ValidationError) as raised:
        services.update_incident(incident, actor=cast.agent, version=1, state=State.CLOSED)
    assert "state" in raised.value.message_dict
    assert Incident.objects.get(pk=incident.pk).version == 1


# Merge ---------------------------------------------------------------------------------------------------------------

def test_merge_closes_the_duplicate_and_notes_both(cast):
    original, duplicate = report(cast, title="Mail is down"), report(cast, actor=cast.colleague, title="No e-mail")

    merged = services.merge_incident(duplicate, into=original, actor=cast.lead)

    assert (merged.state, merged.resolution_code, merged.duplicate_of) == (State.CLOSED, ResolutionCode.DUPLICATE,
                                                                          original)
    assert merged.closed_at is not None and original.number in merged.resolution_notes
    note_on_original = IncidentComment.objects.get(incident=original)
    assert note_on_original.is_internal and duplicate.number in note_on_original.body
    note_on_duplicate = IncidentComment.objects.get(incident=duplicate)
    assert not note_on_duplicate.is_internal and original.number in note_on_duplicate.body
    assert Incident.objects.get(pk=original.pk).state == State.NEW


def test_merge_refusals(cast):
    original, duplicate = report(cast), report(cast)
    with pytest.raises(PermissionDenied):
        services.merge_incident(duplicate, into=original, actor=cast.agent)
    with pytest.raises(ValidationError) as raised:
        services.merge_incident(duplicate, into=duplicate, actor=cast.lead)
    assert "into" in raised.value.message_dict

    closed = IncidentFactory(requester=cast.end_user, state=State.CLOSED)
    with pytest.raises(ValidationError):
        services.merge_incident(duplicate, into=closed, actor=cast.lead)

    services.merge_incident(duplicate, into=original, actor=cast.lead)
    with pytest.raises(Conflict):
        services.merge_incident(duplicate, into=original, actor=cast.lead)  # twice
    third = report(cast)
    with pytest.raises(ValidationError):
        services.merge_incident(third, into=duplicate, actor=cast.lead)  # into one already merged
    assert IncidentComment.objects.filter(incident=original).count() == 1


# Parent / child ------------------------------------------------------------------------------------------------------

def test_parent_links_and_their_refusals(cast):
    parent, child, grandchild = report(cast), report(cast), report(cast)
    child = services.update_incident(child, actor=cast.agent, version=1, parent=parent)
    grandchild = services.update_incident(grandchild, actor=cast.agent, version=1, parent=child)
    assert list(parent.children.all()) == [child]

    for target, new_parent in ((parent, parent), (parent, grandchild), (parent, child)):
        with pytest.raises(ValidationError) as raised:
            services.update_incident(target, actor=cast.agent, version=target.version, parent=new_parent)
        assert "parent" in raised.value.message_dict
    assert Incident.objects.get(pk=parent.pk).parent is None

    closed = IncidentFactory(requester=cast.end_user, state=State.CLOSED)
    with pytest.raises(ValidationError):
        services.update_incident(grandchild, actor=cast.agent, version=grandchild.version, parent=closed)
    assert Incident.objects.get(pk=grandchild.pk).parent == child


# Attachments ---------------------------------------------------------------------------------------------------------

def test_attachment_over_the_limit_saves_nothing(cast, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    files = [SimpleUploadedFile("log.txt", b"x" * 10), SimpleUploadedFile("dump.txt", b"x" * 1025)]
    with pytest.raises(PayloadTooLarge) as raised:
        report(cast, attachments=files)
    assert raised.value.status_code == 413
    assert raised.value.extra == {"field": "attachments"}
    assert not Incident.objects.exists()
    assert not IncidentAttachment.objects.exists()


@pytest.mark.parametrize("name", ["fix.exe", "FIX.EXE", "fix.exe.", "fix.exe ", "dir/fix.exe", "a" * 300 + ".exe"])
def test_attachment_of_a_refused_type_names_the_field(cast, name):
    with pytest.raises(ValidationError) as raised:
        report(cast, attachments=[SimpleUploadedFile("notes.txt", b"ok"), SimpleUploadedFile(name, b"MZ")])
    assert list(raised.value.message_dict) == ["attachments"]
    assert ".exe" in raised.value.message_dict["attachments"][0]
    assert not Incident.objects.exists()
    assert not IncidentAttachment.objects.exists()


def test_attachment_over_the_limit_on_a_reply_saves_no_reply(cast, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    incident = report(cast)
    with pytest.raises(PayloadTooLarge):
        services.add_comment(incident, actor=cast.end_user, body="see log",
                             attachments=[SimpleUploadedFile("log.txt", b"x" * 11)])
    assert not incident.comments.exists()


def test_attachment_file_name_with_markup_is_sanitised(cast):
    incident = report(cast, attachments=[
        SimpleUploadedFile('<script>alert(1)</script>"a&b".txt', b"hello", content_type="text/plain"),
        SimpleUploadedFile("..\\..\\etc\\passwd<img onerror=x>.log", b"hello"),
    ])
    names = list(incident.attachments.values_list("filename", flat=True))
    assert len(names) == 2
    for name in names:
        assert not set("<>\"'&/\\") & set(name), name
    stored = incident.attachments.first()
    assert stored.file.read() == b"hello" and stored.size == 5


# Audit ---------------------------------------------------------------------------------------------------------------

def test_audit_trail_records_who_did_what(cast):
    incident = report(cast, actor=cast.agent, requester=cast.end_user, assignment_group=cast.group)
    incident = services.update_incident(incident, actor=cast.agent, version=1, title="Printer jams on A4")
    incident = services.transition_incident(incident, Action.TAKE, actor=cast.agent2, version=2)
    incident = services.transition_incident(incident, Action.RESOLVE, actor=cast.agent2, version=3,
                                            resolution_code=ResolutionCode.SOLVED, resolution_notes="Cleaned rollers")
    services.transition_incident(incident, Action.CLOSE, actor=cast.end_user, version=4)

    events = list(Events.objects.tracks(incident).order_by("pgh_id"))
    trail = [(e.pgh_label, e.pgh_context["action"], e.pgh_context["user"]) for e in events]
    assert trail == [
        ("insert", "create", cast.agent.pk),
        ("update", "update", cast.agent.pk),
        ("update", Action.TAKE, cast.agent2.pk),
        ("update", Action.RESOLVE, cast.agent2.pk),
        ("update", Action.CLOSE, cast.end_user.pk),
    ]
    diffs = [e.pgh_diff for e in events]
    assert diffs[1]["title"] == ["Printer on floor 3 jams", "Printer jams on A4"]
    assert "state" not in diffs[1]
    assert [d["state"] for d in diffs[2:]] == [
        [State.ASSIGNED, State.IN_PROGRESS], [State.IN_PROGRESS, State.RESOLVED], [State.RESOLVED, State.CLOSED],
    ]
    assert diffs[2]["assignee_id"] == [None, cast.agent2.pk]
    assert diffs[3]["resolution_code"] == ["", ResolutionCode.SOLVED]


def test_search_vectors_and_refused_changes_leave_no_audit_event(cast):
    incident = report(cast)
    services.add_comment(incident, actor=cast.agent, body="looking", internal=True)  # refreshes the search vector
    with pytest.raises(StaleVersion):
        services.update_incident(incident, actor=cast.agent, version=7, title="x")
    assert list(IncidentEvent.objects.filter(pgh_obj=incident).values_list("pgh_label", flat=True)) == ["insert"]
    comment_events = Events.objects.tracks(incident.comments.get())
    assert [(e.pgh_label, e.pgh_context["action"]) for e in comment_events] == [("insert", "internal_note")]
