from .nav import nav_for
from .roles import roles_of


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    return {
        "nav_items": nav_for(user),
        "user_roles": roles_of(user),
        "current_url_name": getattr(request.resolver_match, "view_name", ""),
    }
