"""What the problem tests share: a problem manager in the cast, problems and incidents made through the services."""

from core.roles import Role
from problems import services
from tests.api_mixins import make_incident
from tests.factories import UserFactory


def problem_manager(cast):
    if not hasattr(cast, "problem_manager"):
        cast.problem_manager = UserFactory(username="probman", organisation=None, role=Role.PROBLEM_MANAGER)
        cast.group.members.add(cast.problem_manager)
    return cast.problem_manager


def make_problem(cast, *, incidents=(), title="Mail server drops connections", **kwargs):
    return services.raise_problem(actor=cast.agent, title=title, incidents=incidents, **kwargs)


__all__ = ["make_incident", "make_problem", "problem_manager"]
