from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET, require_POST

from .forms import ChangePasswordForm, LoginForm
from .nav import nav_for
from .roles import roles_of


@login_not_required
@require_GET
def root(request):
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect("home")


@require_GET
def home(request):
    roles = roles_of(request.user)
    places = [
        {"name": roles.kelurahan_names[k], "roles": sorted(rs)}
        for k, rs in roles.by_kelurahan.items()
    ] + [{"name": roles.agency_names[a], "roles": sorted(rs)} for a, rs in roles.by_agency.items()]
    places += [
        {"name": roles.kota_names[k], "roles": sorted(rs)} for k, rs in roles.by_kota.items()
    ]
    # Each app adds its own home panels through accounts.home.panels_for (a registry), so this
    # view stays the same as apps grow.
    from .home import panels_for

    return render(
        request,
        "accounts/home.html",
        {
            "places": places,
            "roles": roles,
            "shortcuts": [i for i in nav_for(request.user) if i["name"] != "home"],
            "panels": panels_for(request),
        },
    )


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = ChangePasswordForm
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password_change_done")


@require_POST
def logout_everywhere(request):
    """Ends every session of the user: this browser, their phone, a computer left logged in at
    the posko. Through the per-user index of session keys (accounts.sessions)."""
    from django.contrib import messages
    from django.contrib.auth import logout
    from django.utils.translation import gettext as _

    from .security import end_sessions_of, log

    user_id = request.user.pk
    n = end_sessions_of(user_id)
    logout(request)
    log.info("logged out everywhere user_id=%s count=%s", user_id, n)
    messages.success(request, _("You have been logged out on every device."))
    return redirect("login")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"


def resubmit(request):
    """After logging in again: the form that was posted when the session had ended.

    Its fields come back as hidden inputs of a form that posts them (with a fresh CSRF token and
    author, and the kept one-time token) to the page they were meant for; or the user discards
    them. Works without JavaScript. Only the user who typed the form ever sees it
    (accounts.middleware.kept_form_for).
    """
    from django.contrib import messages
    from django.utils.translation import gettext as _

    from .middleware import RESUBMIT_FIELD, SAVED_POST_KEY, kept_form_for
    from .security import ONCE_FIELD

    saved = kept_form_for(request, request.user)
    if request.method == "POST" and request.POST.get("action") == "discard":
        request.session.pop(SAVED_POST_KEY, None)
        messages.info(request, _("The saved data has been discarded."))
        return redirect("home")
    if not saved:
        return redirect("home")
    fields = [(k, v) for k, v in saved["fields"] if k != ONCE_FIELD]
    once = next((v for k, v in saved["fields"] if k == ONCE_FIELD), None)
    return render(
        request,
        "registration/resubmit.html",
        {
            "saved": saved,
            "fields": fields,
            "once": once,
            "resubmit_field": RESUBMIT_FIELD,
        },
    )
