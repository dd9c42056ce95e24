"""The kelurahan's people, for the coordinator, kasi kesra and lurah (issue 16): who belongs to
the kelurahan, and the resets they may make by the grant table (accounts/grants.py)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from lbk.paging import page_of

from . import grants, passwords
from .models import AccountAudit, Membership, User

AUDIT_PAGE = 50


@require_GET
def people(request):
    kelurahan_ids = grants.managed_kelurahan(request.user)
    if not kelurahan_ids:
        raise Http404
    memberships = (
        Membership.objects.active()
        .filter(kelurahan_id__in=kelurahan_ids, user__is_active=True)
        .select_related("user", "kelurahan")
        .order_by("kelurahan__name", "user__first_name", "user__username")
    )
    rows: dict[int, dict] = {}
    for m in memberships:
        row = rows.setdefault(m.user_id, {"user": m.user, "memberships": []})
        row["memberships"].append(m)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from . import second_factor as sf

    with_device = set(
        TOTPDevice.objects.filter(user_id__in=list(rows), confirmed=True).values_list(
            "user_id", flat=True
        )
    )
    for row in rows.values():
        user = row["user"]
        row["may_reset"] = not passwords.reset_refusals(request.user, user, "password")
        row["has_device"] = user.pk in with_device
        row["may_reset_2fa"] = row["has_device"] and not passwords.reset_refusals(
            request.user, user, "second_factor"
        )
        kel = row["memberships"][0].kelurahan_id
        row["may_exempt"] = not row["has_device"] and not sf.exemption_refusals(
            request.user, user, kel, sf.MAX_EXEMPTION_DAYS
        )
        row["exempt_until"] = sf.exempt_until(user)
    from .forms import ExemptionForm

    return render(
        request,
        "accounts/people.html",
        {"rows": list(rows.values()), "exempt_form": ExemptionForm()},
    )


@require_POST
def reset_password(request, user_id):
    """A one-time code, shown once here, for the person to set a new password with."""
    kelurahan_ids = grants.managed_kelurahan(request.user)
    if not kelurahan_ids:
        raise Http404
    subject = get_object_or_404(
        User.objects.filter(
            pk__in=Membership.objects.active()
            .filter(kelurahan_id__in=kelurahan_ids)
            .values("user_id")
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
    return render(request, "accounts/audit_log.html", {"rows": page_obj, "page_obj": page_obj})
