"""The people of the places someone manages (issue 16): the kelurahan's coordinator, kasi kesra
and lurah, an agency's admin, an application admin within their scope. Who belongs, their
memberships, invitations, giving and ending memberships, the resets they may make (by the grant
table, accounts/grants.py). Every change goes through accounts/people_service.py, which checks
every rule again; these views only find the objects (404 outside the actor's places) and show
the refusals."""

import datetime as dt

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lbk.paging import page_of

from . import grants, passwords
from . import people_service as svc
from .forms import (
    EndMembershipForm,
    GiveMembershipForm,
    InviteForm,
    parse_place_role,
    place_choices,
)
from .models import AccountAudit, Membership, User

AUDIT_PAGE = 50
PEOPLE_PAGE = 50


def _managed_or_404(actor) -> grants.Managed:
    managed = grants.managed_places(actor)
    if not managed:
        raise Http404
    return managed


def _at_managed(managed: grants.Managed) -> Q:
    return (
        Q(kelurahan_id__in=managed.kelurahan)
        | Q(agency_id__in=managed.agencies)
        | Q(kota_id__in=managed.kota)
    )


def _people_queryset(managed, *, inactive=False):
    members = Membership.objects.active().filter(_at_managed(managed))
    if inactive:
        members = members.filter(svc.inactive_q())
    return (
        User.objects.filter(is_active=True, pk__in=members.values("user_id"))
        .only(
            "pk",
            "username",
            "first_name",
            "last_name",
            "last_login",
            "date_joined",
            "is_lbk_admin",
            "email",
        )
        .order_by("first_name", "last_name", "username")
    )


def _rows(actor, users, managed):
    """One row per person, with everything the page shows, in a fixed number of queries."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .models import Role, SecondFactorExemption

    ids = [u.pk for u in users]
    rows: dict[int, dict] = {
        u.pk: {"user": u, "memberships": [], "all_memberships": []} for u in users
    }
    today = timezone.localdate()
    for m in (
        Membership.objects.active()
        .filter(user_id__in=ids)
        .select_related("kelurahan", "agency", "kota")
        .order_by("role", "pk")
    ):
        rows[m.user_id]["all_memberships"].append(m)
        p = grants.place_of(m)
        if (
            (p.kind == "kelurahan" and p.pk in managed.kelurahan)
            or (p.kind == "agency" and p.pk in managed.agencies)
            or (p.kind == "kota" and p.pk in managed.kota)
        ):
            rows[m.user_id]["memberships"].append(m)
    with_device = set(
        TOTPDevice.objects.filter(user_id__in=ids, confirmed=True).values_list("user_id", flat=True)
    )
    exempt = dict(
        SecondFactorExemption.objects.filter(user_id__in=ids, until__gte=today)
        .order_by("user_id", "until")
        .values_list("user_id", "until")
    )
    since = timezone.now() - dt.timedelta(days=passwords.FOUR_EYES_DAYS)
    by_me = set(
        AccountAudit.objects.filter(
            subject_id__in=ids,
            actor=actor,
            at__gte=since,
            action__in=[
                AccountAudit.Action.PASSWORD_RESET_BY_STAFF,
                AccountAudit.Action.SECOND_FACTOR_RESET,
            ],
        ).values_list("subject_id", "action")
    )
    coordinator_at = set(grants.roles_of(actor).kelurahan_with(Role.KOORDINATOR))
    inactive_since = svc.inactive_since()
    for row in rows.values():
        user = row["user"]
        may_all = grants.could_grant_all(actor, user, row["all_memberships"])
        row["may_reset"] = (
            may_all and (user.pk, AccountAudit.Action.SECOND_FACTOR_RESET) not in by_me
        )
        row["has_device"] = user.pk in with_device
        row["may_reset_2fa"] = (
            row["has_device"]
            and may_all
            and (user.pk, AccountAudit.Action.PASSWORD_RESET_BY_STAFF) not in by_me
        )
        held = {(m.kelurahan_id, m.role) for m in row["all_memberships"]}
        row["may_exempt"] = (
            not row["has_device"]
            and user.pk != actor.pk
            and len(held) == 1
            and next(iter(held))[1] == Role.RELAWAN
            and next(iter(held))[0] in coordinator_at
        )
        row["exempt_until"] = exempt.get(user.pk)
        last = user.last_login or user.date_joined
        row["inactive"] = last is None or last < inactive_since
        row["may_manage"] = user.pk != actor.pk
    return [rows[u.pk] for u in users]


@require_GET
def people(request):
    managed = _managed_or_404(request.user)
    inactive = request.GET.get("inactive") == "1"
    page_obj = page_of(
        _people_queryset(managed, inactive=inactive), request.GET.get("page"), PEOPLE_PAGE
    )
    from .forms import ExemptionForm

    return render(
        request,
        "accounts/people.html",
        {
            "rows": _rows(request.user, list(page_obj), managed),
            "page_obj": page_obj,
            "inactive": inactive,
            "inactive_days": svc.INACTIVE_DAYS,
            "exempt_form": ExemptionForm(),
            "may_invite": bool(place_choices(request.user, managed)),
            # At most a page of them (an invitation lasts 72 hours): the oldest first.
            "invitations": list(svc.open_invitations(managed)[:PEOPLE_PAGE]),
        },
    )


def _subject_or_404(actor, user_id, managed) -> User:
    """A person who belongs or belonged to one of the actor's places (404 otherwise)."""
    return get_object_or_404(
        User.objects.filter(
            pk__in=Membership.objects.filter(_at_managed(managed)).values("user_id")
        ),
        pk=user_id,
    )


def _refused(request, e: svc.Refused) -> None:
    for reason in e.reasons:
        messages.error(request, reason)


def invite(request):
    managed = _managed_or_404(request.user)
    choices = place_choices(request.user, managed)
    if not choices:
        raise Http404
    form = InviteForm(request.POST or None, choices=choices)
    if request.method == "POST" and form.is_valid():
        parsed = parse_place_role(form.cleaned_data["place_role"])
        data = form.cleaned_data
        try:
            if parsed is None:
                raise svc.Refused([_("Choose a role and a place.")])
            place, role = parsed
            inv, code = svc.invite(
                actor=request.user,
                role=role,
                place=place,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                valid_until=data["valid_until"],
            )
        except svc.Refused as e:
            for reason in e.reasons:
                form.add_error(None, reason)
        else:
            if not code:
                messages.success(
                    request,
                    _("The invitation was sent to %(email)s. It works once, for %(hours)s hours.")
                    % {"email": inv.email, "hours": svc.INVITATION_HOURS},
                )
                return redirect("people")
            from django.urls import reverse

            link = request.build_absolute_uri(
                reverse("invitation_accept", args=[svc.normalize_code(code)])
            )
            return render(
                request,
                "accounts/invitation_code.html",
                {"inv": inv, "code": code, "link": link, "hours": svc.INVITATION_HOURS},
            )
    return render(request, "accounts/invite.html", {"form": form})


@require_POST
def withdraw_invitation(request, pk):
    managed = _managed_or_404(request.user)
    inv = get_object_or_404(svc.open_invitations(managed), pk=pk)
    try:
        svc.withdraw(actor=request.user, invitation=inv)
    except svc.Refused as e:
        _refused(request, e)
    else:
        messages.success(request, _("The invitation was withdrawn: it no longer works."))
    return redirect("people")


@require_GET
def person(request, user_id):
    managed = _managed_or_404(request.user)
    subject = _subject_or_404(request.user, user_id, managed)
    today = timezone.localdate()
    memberships = list(
        Membership.objects.filter(user=subject)
        .filter(_at_managed(managed))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("kelurahan", "agency", "kota")
        .order_by("valid_from", "pk")
    )
    places = {}
    for m in memberships:
        m.may_end = subject.pk != request.user.pk and grants.can_grant_at(request.user, m.role, m)
        p = grants.place_of(m)
        places.setdefault(f"{p.kind}:{p.pk}", m.place)
    return render(
        request,
        "accounts/person.html",
        {
            "subject": subject,
            "memberships": memberships,
            "places": places,
            "self": subject.pk == request.user.pk,
            "give_form": GiveMembershipForm(
                initial={"valid_from": today}, choices=place_choices(request.user, managed)
            ),
            "end_form": EndMembershipForm(),
            "may_deactivate": subject.is_active
            and not svc.deactivate_refusals(request.user, subject),
            "audit": AccountAudit.objects.filter(subject=subject)
            .select_related("actor")
            .order_by("-at", "-pk")[:20],
        },
    )


@require_POST
def give(request, user_id):
    managed = _managed_or_404(request.user)
    subject = _subject_or_404(request.user, user_id, managed)
    form = GiveMembershipForm(request.POST, choices=place_choices(request.user, managed))
    if form.is_valid():
        parsed = parse_place_role(form.cleaned_data["place_role"])
        try:
            if parsed is None:
                raise svc.Refused([_("Choose a role and a place.")])
            place, role = parsed
            svc.give(
                actor=request.user,
                subject=subject,
                role=role,
                place=place,
                valid_from=form.cleaned_data["valid_from"],
                valid_until=form.cleaned_data["valid_until"],
            )
        except svc.Refused as e:
            _refused(request, e)
        else:
            messages.success(request, _("The membership was given."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("people_person", user_id=subject.pk)


@require_POST
def end(request, pk):
    managed = _managed_or_404(request.user)
    membership = get_object_or_404(Membership.objects.filter(_at_managed(managed)), pk=pk)
    form = EndMembershipForm(request.POST)
    if form.is_valid():
        try:
            svc.end(
                actor=request.user, membership=membership, last_day=form.cleaned_data["last_day"]
            )
        except svc.Refused as e:
            _refused(request, e)
        else:
            messages.success(request, _("The membership was ended."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("people_person", user_id=membership.user_id)


@require_POST
def end_all(request, user_id):
    managed = _managed_or_404(request.user)
    subject = _subject_or_404(request.user, user_id, managed)
    parsed = parse_place_role(f"{request.POST.get('place', '')}:-")
    try:
        if parsed is None:
            raise svc.Refused([_("Choose a place.")])
        p = grants.place_of(parsed[0])
        if not (
            (p.kind == "kelurahan" and p.pk in managed.kelurahan)
            or (p.kind == "agency" and p.pk in managed.agencies)
            or (p.kind == "kota" and p.pk in managed.kota)
        ):
            raise Http404
        n = svc.end_all(actor=request.user, subject=subject, place=parsed[0])
    except svc.Refused as e:
        _refused(request, e)
    else:
        messages.success(
            request,
            _("%(n)s membership(s) of %(name)s ended; they were signed out everywhere.")
            % {"n": n, "name": subject.display_name},
        )
    return redirect("people_person", user_id=subject.pk)


@require_POST
def deactivate(request, user_id):
    managed = _managed_or_404(request.user)
    subject = _subject_or_404(request.user, user_id, managed)
    try:
        svc.deactivate(actor=request.user, subject=subject)
    except svc.Refused as e:
        _refused(request, e)
    else:
        messages.success(
            request, _("The account of %(name)s was deactivated.") % {"name": subject.display_name}
        )
    return redirect("people_person", user_id=subject.pk)


@require_POST
def reset_password(request, user_id):
    """A one-time code, shown once here, for the person to set a new password with."""
    managed = _managed_or_404(request.user)
    subject = get_object_or_404(
        User.objects.filter(
            pk__in=Membership.objects.active().filter(_at_managed(managed)).values("user_id")
        ),
        pk=user_id,
    )
    try:
        code = passwords.reset_by_staff(actor=request.user, subject=subject)
    except passwords.ResetRefused as e:
        for reason in e.reasons:
            messages.error(request, reason)
        return redirect("people")
    return render(
        request,
        "accounts/reset_code.html",
        {"subject": subject, "code": code, "hours": passwords.RESET_CODE_HOURS},
    )


@require_GET
def audit_log(request):
    """The audit log of the kelurahan's people and accounts: the lurah reads it (and the
    coordinator and kasi kesra)."""
    kelurahan_ids = grants.managed_kelurahan(request.user)
    if not kelurahan_ids:
        raise Http404
    qs = (
        AccountAudit.objects.filter(kelurahan_id__in=kelurahan_ids)
        .select_related("actor", "subject", "kelurahan")
        .order_by("-at", "-pk")
    )
    # Every entry reachable, a page at a time (no silent cut at the most recent ones).
    page_obj = page_of(qs, request.GET.get("page"), AUDIT_PAGE)
    from .models import Role

    for r in page_obj:
        role = (r.detail or {}).get("role")
        r.role_label = Role(role).label if role in Role.values else ""
        r.place_label = (r.detail or {}).get("place", "")
    return render(request, "accounts/audit_log.html", {"rows": page_obj, "page_obj": page_obj})
