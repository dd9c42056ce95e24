from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET, require_POST

from . import lockout
from .forms import ChangePasswordForm, LoginForm
from .middleware import SHARED_SESSION_KEY
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
            "second_factor_due": _second_factor_due(request.user),
        },
    )


def _second_factor_due(user):
    """The day two-factor sign-in becomes required, while it is not set up (None otherwise)."""
    from . import second_factor as sf

    if user.is_verified() if hasattr(user, "is_verified") else False:
        return None
    if sf.state(user) != "grace":
        return None
    return sf.due_date(user)


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    """Logging in, with the lockout of accounts/lockout.py: an attempt that must wait is
    answered 429 with the time to try again; a successful one gives this browser the signed
    known-device cookie, unless "this is a shared computer" is ticked (then the session's idle
    limit is shorter and nothing names the person afterwards)."""

    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["shared"] = self.request.COOKIES.get(lockout.SHARED_COOKIE) == "1"
        return kwargs

    def form_invalid(self, form):
        wait = getattr(self.request, "lbk_wait", None)
        if wait is not None:
            return locked_out(self.request, wait)
        return super().form_invalid(form)

    def form_valid(self, form):
        shared = form.cleaned_data.get("shared_computer")
        response = super().form_valid(form)
        secure = settings.SESSION_COOKIE_SECURE
        if shared:
            self.request.session[SHARED_SESSION_KEY] = True
            response.set_cookie(
                lockout.SHARED_COOKIE,
                "1",
                max_age=lockout.DEVICE_COOKIE_SECONDS,
                secure=secure,
                httponly=True,
                samesite="Lax",
            )
        else:
            response.delete_cookie(lockout.SHARED_COOKIE, samesite="Lax")
            response.set_cookie(
                lockout.DEVICE_COOKIE,
                lockout.device_cookie_value(self.request, form.get_user().get_username()),
                max_age=lockout.DEVICE_COOKIE_SECONDS,
                secure=secure,
                httponly=True,
                samesite="Lax",
            )
        return response


def locked_out(request, wait):
    import datetime as dt

    from django.utils import timezone

    until = timezone.localtime(dt.datetime.fromtimestamp(wait.until, tz=dt.UTC))
    return render(
        request,
        "registration/locked_out.html",
        {"until": until, "minutes": max(1, (wait.seconds + 59) // 60), "reason": wait.reason},
        status=429,
    )


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


@require_GET
def lockouts(request):
    """Who of the kelurahan's people is slowed by the login lockout now or was attacked today
    (accounts/lockout.py): for the coordinator and the kelurahan staff, by their kelurahan."""
    from django.http import Http404

    from .models import KELURAHAN_WIDE_ROLES, Membership

    roles = roles_of(request.user)
    kelurahan_ids = roles.kelurahan_with(*KELURAHAN_WIDE_ROLES)
    if not kelurahan_ids:
        raise Http404
    members = (
        Membership.objects.active()
        .filter(kelurahan_id__in=kelurahan_ids, user__is_active=True)
        .select_related("user", "kelurahan")
        .order_by("user__first_name", "user__username")
    )
    by_username: dict = {}
    for m in members:
        by_username.setdefault(m.user.username, {"user": m.user, "memberships": []})[
            "memberships"
        ].append(m)
    states = lockout.status_of(list(by_username))
    import datetime as dt

    from django.utils import timezone

    rows = []
    now = lockout.now()
    for username, state in states.items():
        rows.append(
            {
                **by_username[username],
                "failures": state["failures"],
                "until": timezone.localtime(dt.datetime.fromtimestamp(state["until"], tz=dt.UTC)),
                "last": timezone.localtime(dt.datetime.fromtimestamp(state["last"], tz=dt.UTC)),
                "waiting": state["until"] > now,
            }
        )
    rows.sort(key=lambda r: r["last"], reverse=True)
    return render(request, "accounts/lockouts.html", {"rows": rows})


# Password reset (accounts/passwords.py).


@login_not_required
def password_reset(request):
    """By e-mail: the same answer and the same work whether or not the address has an account."""
    from .forms import PasswordResetRequestForm
    from .passwords import request_by_email
    from .security import client_ip

    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        request_by_email(form.cleaned_data["email"], ip=client_ip(request))
        return redirect("password_reset_sent")
    return render(request, "registration/password_reset_form.html", {"form": form})


@login_not_required
@require_GET
def password_reset_sent(request):
    from .passwords import RESET_LINK_HOURS

    return render(request, "registration/password_reset_sent.html", {"hours": RESET_LINK_HOURS})


@login_not_required
def password_reset_confirm(request, secret):
    from .forms import NewPasswordForm
    from .passwords import ResetRefused, set_password_with, token_for_link

    token = token_for_link(secret)
    if token is None:
        return render(request, "registration/password_reset_invalid.html", status=404)
    form = NewPasswordForm(token.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            set_password_with(token, form.cleaned_data["new_password1"])
        except ResetRefused:
            return render(request, "registration/password_reset_invalid.html", status=404)
        return redirect("password_reset_complete")
    return render(request, "registration/password_reset_confirm.html", {"form": form})


@login_not_required
def password_reset_code(request):
    from .forms import ResetCodeForm
    from .passwords import ResetRefused, set_password_with

    form = ResetCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            set_password_with(form.token, form.cleaned_data["new_password1"])
        except ResetRefused:
            return render(request, "registration/password_reset_invalid.html", status=404)
        return redirect("password_reset_complete")
    return render(request, "registration/password_reset_code.html", {"form": form})


@login_not_required
@require_GET
def password_reset_complete(request):
    return render(request, "registration/password_reset_complete.html")


# Invitations (accounts/people_service.py): public pages, like the password reset.


@login_not_required
def invitation_code(request):
    """The code handed over in person: typed here, it leads to the acceptance page."""
    from .forms import InvitationCodeForm
    from .people_service import invitation_for, normalize_code

    form = InvitationCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = normalize_code(form.cleaned_data["code"])
        if invitation_for(code) is not None:
            return redirect("invitation_accept", secret=code)
        from django.utils.translation import gettext as _

        form.add_error("code", _("This code is wrong, or it has expired or was already used."))
    return render(request, "registration/invitation_code.html", {"form": form})


@login_not_required
def invitation_accept(request, secret):
    """A new account from an invitation: the person chooses their username and password."""
    from django.contrib import messages
    from django.utils.translation import gettext as _

    from .forms import AcceptInvitationForm
    from .people_service import Refused, accept, invitation_for

    inv = invitation_for(secret)
    if inv is None:
        return render(request, "registration/invitation_invalid.html", status=404)
    form = AcceptInvitationForm(request.POST or None, invitation=inv)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            accept(
                inv,
                username=data["username"],
                password=data["new_password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except Refused as e:
            for reason in e.reasons:
                form.add_error(None, reason)
        else:
            messages.success(
                request, _("Your account is ready. Sign in with your username and password.")
            )
            return redirect("login")
    return render(request, "registration/invitation_accept.html", {"form": form, "inv": inv})
