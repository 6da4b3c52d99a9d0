"""The incident lifecycle as an explicit table (records.workflow): which action leads from which states to which,
who may take it, and what each state means. The system (Celery: auto-close, SLA escalation) is an actor of the table
like anyone else; merge and escalation are in it too, taken only through their own services.
"""

from records.workflow import AGENT, LEAD, REQUESTER, SYSTEM, StateInfo, Transition, Workflow

from .choices import OPEN_STATES, PENDING_STATES, STATE_COLOURS, Action, State

__all__ = ["AGENT", "LEAD", "REQUESTER", "SYSTEM", "TRANSITIONS", "WORKFLOW", "actor_kinds", "allowed_actions",
           "legal_from", "may_take"]

WORKING = frozenset({State.NEW, State.ASSIGNED, State.IN_PROGRESS, *PENDING_STATES})
_CLOCKS_RUN = {State.NEW, State.ASSIGNED, State.IN_PROGRESS}  # pending pauses the clocks, resolution stops them


def _state(state):
    return StateInfo(
        open=state in OPEN_STATES, resolved=state == State.RESOLVED,
        final=state in (State.CLOSED, State.CANCELLED), clocks_run=state in _CLOCKS_RUN,
        colour=STATE_COLOURS.get(state, "secondary"),
    )


WORKFLOW = Workflow(
    states={state: _state(state) for state in State.values},
    transitions=[
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
        Transition(Action.CANCEL, frozenset(OPEN_STATES), State.CANCELLED, frozenset({LEAD, REQUESTER}),
                   limits={REQUESTER: frozenset({State.NEW})}),
        Transition(Action.MERGE, WORKING, State.CLOSED, frozenset({LEAD}), offered=False),
        # An SLA escalation to another group sends a record being worked (or new) back to "assigned".
        Transition(Action.ESCALATE, frozenset({State.NEW, State.IN_PROGRESS}), State.ASSIGNED, frozenset({SYSTEM}),
                   offered=False),
    ],
    state_labels=dict(State.choices),
    action_labels=dict(Action.choices),
)

# The actions people take from buttons, the API and bulk changes, in table order.
TRANSITIONS = {action: t for action, t in WORKFLOW.table.items() if t.offered}
actor_kinds = WORKFLOW.actor_kinds
may_take = WORKFLOW.may_take
allowed_actions = WORKFLOW.allowed_actions
legal_from = WORKFLOW.legal_from
