"""The records framework's own machinery: the declarative workflow, the service kit and the registry."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.exceptions import IllegalTransition, StaleVersion
from core.models import User
from incidents import services
from incidents.models import Incident
from records import registry, signals
from records.services import changing, check_action, transition
from records.workflow import AGENT, LEAD, REQUESTER, SYSTEM, StateInfo, Transition, Workflow

pytestmark = pytest.mark.django_db


def toy_workflow(**relations):
    """A small table: new → doing → done; a requester may cancel only while new; 'sweep' is the system's, hidden."""
    return Workflow(
        states={"new": StateInfo(), "doing": StateInfo(clocks_run=True), "done": StateInfo(open=False, final=True)},
        transitions=[
            Transition("start", frozenset({"new"}), "doing", frozenset({AGENT})),
            Transition("finish", frozenset({"doing"}), "done", frozenset({AGENT, "reviewer"})),
            Transition("cancel", frozenset({"new", "doing"}), "done", frozenset({REQUESTER, LEAD}),
                       limits={REQUESTER: frozenset({"new"})}),
            Transition("sweep", frozenset({"new", "doing"}), "done", frozenset({SYSTEM}), offered=False),
        ],
        state_labels={"new": "New", "doing": "Doing", "done": "Done"},
        action_labels={"start": "Start"},
        relations=relations,
    )


class Row:
    def __init__(self, state, requester_id=None, assignment_group_id=None):
        self.state, self.requester_id, self.assignment_group_id = state, requester_id, assignment_group_id


class TestWorkflow:
    def test_undeclared_states_are_refused_when_the_table_is_built(self):
        with pytest.raises(ValueError, match="undeclared"):
            Workflow(states={"new": StateInfo()},
                     transitions=[Transition("go", frozenset({"new"}), "gone", frozenset({AGENT}))])

    def test_state_flags(self):
        flow = toy_workflow()
        assert flow.open_states == ("new", "doing")
        assert flow.final_states == ("done",)
        assert flow.states_where("clocks_run") == ("doing",)

    def test_limits_hold_an_actor_to_some_sources(self, cast):
        flow = toy_workflow()
        mine_new, mine_doing = Row("new", cast.end_user.pk), Row("doing", cast.end_user.pk)
        assert flow.may_take(cast.end_user, mine_new, "cancel")
        assert not flow.may_take(cast.end_user, mine_doing, "cancel")  # the requester's limit
        assert flow.may_take(cast.lead, Row("doing"), "cancel")  # a lead is not limited
        assert not flow.may_take(cast.colleague, mine_new, "cancel")  # not their record

    def test_offered_false_is_hidden_but_the_system_may_take_it(self, cast):
        flow = toy_workflow()
        row = Row("new")
        assert "sweep" not in flow.allowed_actions(None, row)
        assert "sweep" in flow.allowed_actions(None, row, offered_only=False)
        assert flow.may_take(None, row, "sweep")
        assert not flow.may_take(cast.admin, row, "sweep")
        assert "sweep" not in flow.legal_from("new")

    def test_relations_a_kind_adds_are_actors(self, cast):
        flow = toy_workflow(reviewer=lambda user, record: user.username == "agent2")
        row = Row("doing")
        assert flow.actor_kinds(cast.agent2, row) >= {"reviewer", AGENT}
        assert not flow.may_take(cast.end_user, row, "finish")
        reviewer_only = toy_workflow(reviewer=lambda user, record: user.username == "colleague")
        assert reviewer_only.may_take(cast.colleague, row, "finish")  # an end user by relation, not by role

    def test_legal_from_and_check_legal(self):
        flow = toy_workflow()
        assert flow.legal_from("new") == ["start", "cancel"]
        assert flow.legal_from("done") == []
        flow.check_legal(Row("new"), "start")
        with pytest.raises(IllegalTransition) as refused:
            flow.check_legal(Row("done"), "start")
        assert refused.value.extra["allowed"] == []
        assert "Start is not allowed from Done" in str(refused.value.message)

    def test_lead_of_another_group_is_not_a_lead_here(self, cast):
        flow = toy_workflow()
        assert LEAD in flow.actor_kinds(cast.lead, Row("new", assignment_group_id=cast.group.pk))
        assert LEAD not in flow.actor_kinds(cast.lead, Row("new", assignment_group_id=cast.other_group.pk))
        assert LEAD in flow.actor_kinds(cast.manager, Row("new", assignment_group_id=cast.other_group.pk))


@pytest.fixture
def incident(cast):
    return services.create_incident(actor=cast.end_user, title="Screen flickers")


class TestServiceKit:
    def test_a_stale_version_is_refused_and_nothing_written(self, cast, incident):
        with pytest.raises(StaleVersion):
            with changing(incident, actor=cast.agent, action="edit", version=incident.version + 1) as change:
                change.record.title = "Changed"
        incident.refresh_from_db()
        assert incident.title == "Screen flickers"

    def test_thousands_of_digits_are_just_a_stale_version(self, cast, incident):
        with pytest.raises(StaleVersion):
            with changing(incident, actor=cast.agent, action="edit", version="1" * 5000):
                pass

    @pytest.mark.parametrize("version", ["abc", "²", "-1", "1.0"])
    def test_a_version_that_is_no_number_names_the_field(self, cast, incident, version):
        with pytest.raises(ValidationError) as refused:
            with changing(incident, actor=cast.agent, action="edit", version=version):
                pass
        assert "version" in refused.value.message_dict

    def test_the_version_is_bumped_once_per_change(self, cast, incident):
        before = incident.version
        with changing(incident, actor=cast.agent, action="edit", version=f"0{before}") as change:
            change.record.title = "Screen flickers badly"
        incident.refresh_from_db()
        assert (incident.version, incident.title) == (before + 1, "Screen flickers badly")

    def test_an_error_inside_rolls_everything_back(self, cast, incident):
        before = incident.version
        with pytest.raises(RuntimeError):
            with changing(incident, actor=cast.agent, action="edit") as change:
                change.record.title = "Half done"
                services.add_comment(change.record, actor=cast.agent, body="inside")
                raise RuntimeError("boom")
        incident.refresh_from_db()
        assert (incident.version, incident.title) == (before, "Screen flickers")
        assert not incident.comments.exists()

    def test_record_changed_is_sent_only_for_a_tracked_change(self, cast, incident):
        sent = []

        def receiver(sender, record, action, changes, **kwargs):
            sent.append((action, changes))

        signals.record_changed.connect(receiver, sender=Incident)
        try:
            with changing(incident, actor=cast.agent, action="retitle") as change:
                change.record.title = "Untracked field"
            assert sent == []
            with changing(incident, actor=cast.agent, action="group") as change:
                change.record.assignment_group = cast.group
            assert sent == [("group", {"assignment_group_id": (None, cast.group.pk)})]
        finally:
            signals.record_changed.disconnect(receiver, sender=Incident)

    def test_transition_checks_the_table_then_the_actor(self, cast, incident):
        with pytest.raises(PermissionDenied):
            with transition(incident, "take", actor=cast.end_user):
                pass
        with pytest.raises(IllegalTransition) as illegal:
            with transition(incident, "reopen", actor=cast.agent):
                pass
        assert "take" in illegal.value.extra["allowed"]
        with pytest.raises(ValidationError):
            check_action(incident, "fly", cast.agent)
        with transition(incident, "take", actor=cast.agent):
            pass
        incident.refresh_from_db()
        assert incident.state == "in_progress"


class TestRegistry:
    def test_a_duplicate_key_or_prefix_is_refused(self):
        incident_kind = registry.kind("incident")
        with pytest.raises(ValueError):
            registry.register_kind(registry.RecordKind(key="incident", prefix="XYZ", model_label="x.Y", workflow=None,
                                                       desk_url=""))
        with pytest.raises(ValueError):
            registry.register_kind(registry.RecordKind(key="other", prefix="INC", model_label="x.Y", workflow=None,
                                                       desk_url=""))
        assert registry.kind("incident") is incident_kind and "other" not in registry.KINDS

    def test_kind_lookups(self, incident):
        assert registry.kind_of(incident).key == "incident"
        assert registry.kind_of(Incident).prefix == "INC"
        assert registry.kind_for_number("inc-000001").key == "incident"
        assert registry.kind_for_number("ZZZ-1") is None
        assert registry.kind_for_number("") is None
        assert Incident.kind().sequence == "incidents_incident_number_seq"
        with pytest.raises(LookupError):
            registry.kind_of(User)
