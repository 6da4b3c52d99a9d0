"""The problem lifecycle as a table (records.workflow), through the three phases of 004: identification (new),
control (investigating: root cause analysis), error control (root cause known, the fix being made, fixed by a change),
then resolved and closed with a review. Problem managers and leads take every action; agents investigate."""

from core.roles import Role, roles_of
from records.workflow import AGENT, LEAD, StateInfo, Transition, Workflow

from .choices import OPEN_STATES, STATE_COLOURS, ProblemAction, ProblemState

PROBLEM_MANAGER = "problem_manager"
MANAGERS = frozenset({LEAD, PROBLEM_MANAGER})


def is_problem_manager(user, record=None):
    return Role.PROBLEM_MANAGER in roles_of(user)


def _state(state):
    return StateInfo(open=state in OPEN_STATES, resolved=state == ProblemState.RESOLVED,
                     final=state in (ProblemState.CLOSED, ProblemState.CANCELLED), clocks_run=False,
                     shown_to_requester=False, colour=STATE_COLOURS.get(state, "secondary"))


S = ProblemState
WORKFLOW = Workflow(
    states={state: _state(state) for state in S.values},
    transitions=[
        Transition(ProblemAction.INVESTIGATE, frozenset({S.NEW}), S.INVESTIGATING, MANAGERS | {AGENT}),
        Transition(ProblemAction.ROOT_CAUSE_FOUND, frozenset({S.INVESTIGATING}), S.ERROR_CONTROL, MANAGERS),
        Transition(ProblemAction.RESOLVE, frozenset({S.INVESTIGATING, S.ERROR_CONTROL}), S.RESOLVED, MANAGERS),
        Transition(ProblemAction.CLOSE, frozenset({S.RESOLVED}), S.CLOSED, MANAGERS),
        # Back to error control when the root cause is known, to investigation otherwise (the service decides).
        Transition(ProblemAction.REOPEN, frozenset({S.RESOLVED}), None, MANAGERS),
        Transition(ProblemAction.CANCEL, frozenset(OPEN_STATES), S.CANCELLED, MANAGERS),
    ],
    state_labels=dict(S.choices),
    action_labels=dict(ProblemAction.choices),
    relations={PROBLEM_MANAGER: is_problem_manager},
)
