"""Roles as Django groups. The single question "what role does this user hold" is answered here.

Roles are cumulative in what they may do: a team lead is also an agent, a manager reads everything a lead reads.
"""

from django.utils.translation import gettext_lazy as _


class Role:
    END_USER = "end_user"
    AGENT = "agent"
    TEAM_LEAD = "team_lead"
    MANAGER = "manager"
    ADMIN = "administrator"
    PROBLEM_MANAGER = "problem_manager"

    LABELS = {
        END_USER: _("End user"),
        AGENT: _("Agent"),
        TEAM_LEAD: _("Team lead"),
        MANAGER: _("Manager"),
        ADMIN: _("Administrator"),
        PROBLEM_MANAGER: _("Problem manager"),
    }
    STAFF = (AGENT, TEAM_LEAD, MANAGER, ADMIN, PROBLEM_MANAGER)
    LEADS = (TEAM_LEAD, MANAGER, ADMIN)


def ensure_role_groups(**kwargs):
    """Create one Django group per role (idempotent; runs after migrate)."""
    from django.contrib.auth.models import Group

    for name in Role.LABELS:
        Group.objects.get_or_create(name=name)


def roles_of(user):
    """The set of role names a user holds (cached on the user object for the request)."""
    if not user or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_itsm_roles", None)
    if cached is None:
        if "groups" in getattr(user, "_prefetched_objects_cache", {}):  # a list of people: prefetch_related("groups")
            cached = frozenset(group.name for group in user.groups.all())
        else:
            cached = frozenset(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached = cached | {Role.ADMIN}
        user._itsm_roles = cached
    return cached


def is_staff_member(user):
    """Agents, leads, managers and administrators: people who work tickets rather than raise them."""
    return bool(roles_of(user) & set(Role.STAFF))


def is_lead(user):
    return bool(roles_of(user) & set(Role.LEADS))


def is_admin(user):
    return Role.ADMIN in roles_of(user)


def grant_role(user, role):
    from django.contrib.auth.models import Group

    group, _created = Group.objects.get_or_create(name=role)
    user.groups.add(group)
    if hasattr(user, "_itsm_roles"):
        del user._itsm_roles
