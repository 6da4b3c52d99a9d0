from core.roles import is_admin, is_lead, is_staff_member

from . import registry


def menu(request):
    """The navigation sections practice apps registered, with the entries for this person's audience:
    [(section label, [entries])] in order."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"registered_menu": []}
    audiences = {"end_user"}
    if is_staff_member(user):
        audiences.add("agent")
    if is_lead(user):
        audiences.add("lead")
    if is_admin(user):
        audiences.add("admin")
    sections = {}
    for entry in registry.MENU:
        if entry.audience in audiences:
            sections.setdefault(str(entry.section), (entry.section, []))[1].append(entry)
    return {"registered_menu": list(sections.values())}
