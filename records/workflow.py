"""A record kind's lifecycle declared as data: its states (with what each means) and its transitions (which action
leads from which states to which, and who may take it). Pages, the API, bulk changes and Celery tasks all ask the same
table; nothing sets a record's state outside it (the system — Celery — is an actor of the table like anyone else).

Actors are relations rather than only roles: the requester of the record, any agent, a lead (team lead of the record's
group, a manager or an administrator), the system, and whatever relations a kind adds (a problem manager, a reviewer).
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from core.exceptions import IllegalTransition
from core.roles import Role, is_lead, is_staff_member, roles_of

REQUESTER = "requester"
AGENT = "agent"
LEAD = "lead"
SYSTEM = "system"


@dataclass(frozen=True)
class StateInfo:
    """What a state means to the framework: whether the record is open (being worked), resolved (awaiting
    confirmation), final (closed or cancelled), whether SLA clocks run in it, whether the requester is shown it as it
    is (False: the portal shows it as "in progress"), and its badge colour."""

    open: bool = True
    resolved: bool = False
    final: bool = False
    clocks_run: bool = False
    shown_to_requester: bool = True
    colour: str = "secondary"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    target: str | None  # None: decided by the service (e.g. reopen goes back to assigned or in progress)
    actors: frozenset
    offered: bool = True  # shown as a button and in bulk changes; False for what only a dedicated service does (merge)
    limits: dict = field(default_factory=dict)  # {actor: states}: an actor allowed only from some of the sources


@dataclass
class Workflow:
    """The lifecycle of one record kind: `states` {state: StateInfo} in display order, `transitions` in table order,
    `state_labels`/`action_labels` the TextChoices labels, `relations` extra actor relations {name: f(user, record)}."""

    states: dict
    transitions: list
    state_labels: dict = field(default_factory=dict)
    action_labels: dict = field(default_factory=dict)
    relations: dict = field(default_factory=dict)

    def __post_init__(self):
        self.table = {t.action: t for t in self.transitions}
        unknown = {s for t in self.transitions for s in t.sources | ({t.target} - {None})} - set(self.states)
        if unknown:
            raise ValueError(f"transitions name undeclared states: {sorted(unknown)}")

    # --- what states mean ---------------------------------------------------------------------------------------
    def states_where(self, flag):
        return tuple(state for state, info in self.states.items() if getattr(info, flag))

    @property
    def open_states(self):
        return self.states_where("open")

    @property
    def final_states(self):
        return self.states_where("final")

    def info(self, state):
        return self.states[state]

    # --- who may do what ------------------------------------------------------------------------------------------
    def actor_kinds(self, user, record):
        """The relations `user` has to `record` that the table speaks of (None is the system)."""
        if user is None:
            return {SYSTEM}
        kinds = set()
        if getattr(record, "requester_id", None) == user.pk:
            kinds.add(REQUESTER)
        if is_staff_member(user):
            kinds.add(AGENT)
        if is_lead(user) and (
            roles_of(user) & {Role.MANAGER, Role.ADMIN}
            or getattr(record, "assignment_group_id", None) is None
            or record.assignment_group_id in led_group_ids(user)
        ):
            kinds.add(LEAD)
        kinds.update(name for name, relation in self.relations.items() if relation(user, record))
        return kinds

    def may_take(self, user, record, action):
        """Whether `user` may take `action` on `record` as far as their relation to it goes (the state matters only
        where the table limits an actor to some states)."""
        transition = self.table[action]
        return any(kind not in transition.limits or record.state in transition.limits[kind]
                   for kind in self.actor_kinds(user, record) & transition.actors)

    def allowed_actions(self, user, record, *, offered_only=True):
        """Actions legal from the record's state that this user may take now, in table order."""
        return [action for action, t in self.table.items()
                if record.state in t.sources and (t.offered or not offered_only)
                and self.may_take(user, record, action)]

    def legal_from(self, state):
        """Every offered action the table allows from `state`, whoever takes it (for the 409 answer)."""
        return [action for action, t in self.table.items() if state in t.sources and t.offered]

    def check_legal(self, record, action):
        """Raise IllegalTransition (409, with the legal actions) unless `action` may leave the record's state."""
        if record.state not in self.table[action].sources:
            raise IllegalTransition(
                _("%(action)s is not allowed from %(state)s.")
                % {"action": self.action_labels.get(action, action),
                   "state": self.state_labels.get(record.state, record.state)},
                state=record.state, allowed=self.legal_from(record.state),
            )


def led_group_ids(user):
    """The groups `user` leads, read once per user object (allowed_actions asks for every action)."""
    cached = getattr(user, "_itsm_led_group_ids", None)
    if cached is None:
        cached = frozenset(user.led_groups.values_list("pk", flat=True))
        user._itsm_led_group_ids = cached
    return cached
