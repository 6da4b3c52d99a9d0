from .roles import is_admin, is_lead, is_staff_member


def roles(request):
    user = getattr(request, "user", None)
    return {
        "is_agent": is_staff_member(user),
        "is_lead": is_lead(user),
        "is_admin": is_admin(user),
    }
