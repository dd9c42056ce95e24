"""Pages of two-factor sign-in (accounts/second_factor.py): set-up, the code after the password,
and the coordinator's resets and exemptions (on the People page)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import grants
from . import second_factor as sf
from .forms import ExemptionForm, SecondFactorCodeForm
from .models import Membership, User


def _next(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def setup(request):
    user = request.user
    if sf.device_of(user) is not None:
        messages.info(request, _("Two-factor sign-in is already set up for your account."))
        return redirect("home")
    device = sf.pending_device(user) or sf.new_device(user)
    form = SecondFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = sf.confirm(request, device, form.cleaned_data["code"])
        if codes is not None:
            return render(request, "accounts/two_factor_codes.html", {"codes": codes})
        form.add_error("code", _("This code is not right. Type the 6 digits the app shows now."))
    st = sf.state(user)
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr": sf.qr_svg(device),
            "secret": sf.secret_text(device),
            "issuer": sf.issuer(),
            "required": st == "enrol",
            "due": sf.due_date(user) if sf.needs_second_factor(user) else None,
        },
    )


def verify(request):
    if sf.device_of(request.user) is None:
        return redirect("home")
    form = SecondFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if sf.verify(request, form.cleaned_data["code"]):
            return redirect(_next(request) or "home")
        form.add_error("code", _("This code is not right, or it was already used."))
    return render(
        request, "accounts/two_factor_verify.html", {"form": form, "next": _next(request)}
    )


def _subject(request, user_id):
    from .people import _at_managed

    managed = grants.managed_places(request.user)
    if not managed:
        raise Http404
    subject = get_object_or_404(
        User.objects.filter(
            pk__in=Membership.objects.active().filter(_at_managed(managed)).values("user_id")
        ),
        pk=user_id,
    )
    return subject, managed.kelurahan


@require_POST
def reset(request, user_id):
    subject, _k = _subject(request, user_id)
    try:
        sf.reset_by_staff(actor=request.user, subject=subject)
    except sf.Refused as e:
        for reason in e.reasons:
            messages.error(request, reason)
    else:
        messages.success(
            request,
            _(
                "The second factor of %(name)s was reset: they set up a new one at their next "
                "sign-in."
            )
            % {"name": subject.display_name},
        )
    return redirect("people")


@require_POST
def exempt(request, user_id):
    subject, kelurahan_ids = _subject(request, user_id)
    form = ExemptionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("people")
    kelurahan_id = (
        Membership.objects.active()
        .filter(user=subject, kelurahan_id__in=kelurahan_ids)
        .values_list("kelurahan_id", flat=True)
        .first()
    )
    try:
        row = sf.exempt(
            actor=request.user,
            subject=subject,
            kelurahan_id=kelurahan_id,
            days=form.cleaned_data["days"],
            reason=form.cleaned_data["reason"],
        )
    except sf.Refused as e:
        for reason in e.reasons:
            messages.error(request, reason)
    else:
        messages.success(
            request,
            _("%(name)s is exempted from two-factor sign-in until %(until)s.")
            % {"name": subject.display_name, "until": row.until.strftime("%d-%m-%Y")},
        )
    return redirect("people")
