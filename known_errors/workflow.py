"""The known error lifecycle as a table (records.workflow): draft → published → retired, back to draft to revise,
and a retired one republished. Agents draft and edit; leads and problem managers decide what the desk sees (publish,
retire, revise, republish).

The problem-manager role comes with the problems app; `getattr` keeps this table working before and after it lands.
"""

from core.roles import Role, roles_of
from records.workflow import LEAD, StateInfo, Transition, Workflow

from .choices import STATE_COLOURS, Action, State

PROBLEM_MANAGER = "problem_manager"
DECIDERS = frozenset({LEAD, PROBLEM_MANAGER})


def is_problem_manager(user, record=None):
    role = getattr(Role, "PROBLEM_MANAGER", None)
    return role is not None and role in roles_of(user)


WORKFLOW = Workflow(
    states={
        State.DRAFT: StateInfo(open=True, colour=STATE_COLOURS[State.DRAFT]),
        State.PUBLISHED: StateInfo(open=True, colour=STATE_COLOURS[State.PUBLISHED]),
        State.RETIRED: StateInfo(open=False, final=True, colour=STATE_COLOURS[State.RETIRED]),
    },
    transitions=[
        Transition(Action.PUBLISH, frozenset({State.DRAFT}), State.PUBLISHED, DECIDERS),
        Transition(Action.RETIRE, frozenset({State.PUBLISHED}), State.RETIRED, DECIDERS),
        Transition(Action.REVISE, frozenset({State.PUBLISHED, State.RETIRED}), State.DRAFT, DECIDERS),
        Transition(Action.REPUBLISH, frozenset({State.RETIRED}), State.PUBLISHED, DECIDERS),
    ],
    state_labels=dict(State.choices),
    action_labels=dict(Action.choices),
    relations={PROBLEM_MANAGER: is_problem_manager},
)
