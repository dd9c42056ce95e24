from .nav import nav_html
from .roles import roles_of


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_html": ""}
    return {
        "nav_html": nav_html(user, getattr(request.resolver_match, "view_name", "")),
        "user_roles": roles_of(user),
    }
