"""The incident lifecycle as an explicit table: which action leads from which states to which, and who may take it.

Actors are described by relations rather than only roles: the requester of the incident, any agent, a lead
(team lead of the incident's group, a manager or an administrator) and the system (Celery tasks).
"""

from dataclasses import dataclass

from core.roles import Role, is_lead, is_staff_member, roles_of

from .choices import OPEN_STATES, PENDING_STATES, Action, State

REQUESTER = "requester"
AGENT = "agent"
LEAD = "lead"
SYSTEM = "system"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    target: str | None  # None: decided by the service (e.g. reopen goes back to assigned or in progress)
    actors: frozenset


WORKING = frozenset({State.NEW, State.ASSIGNED, State.IN_PROGRESS, *PENDING_STATES})

TRANSITIONS = {
    t.action: t
    for t in (
        Transition(Action.ASSIGN, WORKING, State.ASSIGNED, frozenset({AGENT, LEAD})),
        Transition(Action.TAKE, frozenset({State.NEW, State.ASSIGNED}), State.IN_PROGRESS, frozenset({AGENT, LEAD})),
        Transition(Action.START, frozenset({State.ASSIGNED}), State.IN_PROGRESS, frozenset({AGENT, LEAD})),
        Transition(Action.PEND_USER, frozenset({State.IN_PROGRESS}), State.PENDING_USER, frozenset({AGENT, LEAD})),
        Transition(
            Action.PEND_SUPPLIER, frozenset({State.IN_PROGRESS}), State.PENDING_SUPPLIER, frozenset({AGENT, LEAD})
        ),
        Transition(Action.RESUME, frozenset(PENDING_STATES), State.IN_PROGRESS, frozenset({AGENT, LEAD, REQUESTER})),
        Transition(Action.RESOLVE, WORKING, State.RESOLVED, frozenset({AGENT, LEAD})),
        Transition(
            Action.CLOSE, frozenset({State.RESOLVED}), State.CLOSED, frozenset({REQUESTER, AGENT, LEAD, SYSTEM})
        ),
        Transition(Action.REOPEN, frozenset({State.RESOLVED}), None, frozenset({REQUESTER, AGENT, LEAD})),
        # A requester may withdraw an incident nobody has worked on yet; anything later is a lead's decision.
        Transition(Action.CANCEL, frozenset(OPEN_STATES), State.CANCELLED, frozenset({LEAD, REQUESTER})),
    )
}


def _led_group_ids(user):
    """The groups `user` leads, read once per user object (allowed_actions asks for every action)."""
    cached = getattr(user, "_itsm_led_group_ids", None)
    if cached is None:
        cached = frozenset(user.led_groups.values_list("pk", flat=True))
        user._itsm_led_group_ids = cached
    return cached


def actor_kinds(user, incident):
    """The relations `user` has to `incident` that the transition table speaks of."""
    if user is None:
        return {SYSTEM}
    kinds = set()
    if incident.requester_id == user.pk:
        kinds.add(REQUESTER)
    if is_staff_member(user):
        kinds.add(AGENT)
    if is_lead(user) and (
        roles_of(user) & {Role.MANAGER, Role.ADMIN}
        or incident.assignment_group_id is None
        or incident.assignment_group_id in _led_group_ids(user)
    ):
        kinds.add(LEAD)
    return kinds


def may_take(user, incident, action):
    """Whether `user` may take `action` on `incident` as far as their relation to it goes (ignores the state)."""
    transition = TRANSITIONS[action]
    kinds = actor_kinds(user, incident)
    if action == Action.CANCEL and LEAD not in kinds:
        return REQUESTER in kinds and incident.state == State.NEW
    return bool(kinds & transition.actors)


def allowed_actions(user, incident):
    """Actions legal from the incident's state that this user may take now, in table order."""
    return [
        action
        for action, transition in TRANSITIONS.items()
        if incident.state in transition.sources and may_take(user, incident, action)
    ]


def legal_from(state):
    """Every action the table allows from `state`, whoever takes it (for the 409 answer)."""
    return [action for action, t in TRANSITIONS.items() if state in t.sources]
