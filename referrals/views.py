"""Referral pages. Every referral is fetched through referrals.access; every case through
cases.access; buttons come from referrals.workflow, never from template conditions."""

import csv
import datetime
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import KELURAHAN_WIDE_ROLES
from accounts.roles import roles_of
from accounts.security import client_ip
from cases.access import FULL, get_case_for_user, log_access
from cases.engine import AGENCY, ALREADY_DONE_MESSAGE, COMPANION, AlreadyDone, TransitionRefused
from cases.invariants import agency_may_download_letter, shown_to_agency, summary_shown_to_agency
from cases.models import CaseEvent, ClockSetting, PlannedAction

from . import letters, services
from . import workflow as wf
from .access import (
    agency_referrals,
    get_referral_for_user,
    may_make_emergency,
    visible_referrals,
)
from .forms import EmergencyForm, ReferralForm, StepForm
from .models import Referral, State

VERIFY_LIMIT = 30  # lookups per address per window
VERIFY_WINDOW = 600  # seconds


def case_url(case):
    try:
        return reverse("cases:detail", args=[case.pk])
    except NoReverseMatch:
        return ""


def _settings_map(kelurahan_ids):
    return {
        (s.kelurahan_id, s.key): s.hours
        for s in ClockSetting.objects.filter(
            kelurahan_id__in=kelurahan_ids, key__in=list(wf.CLOCKS_BY_KEY)
        )
    }


def annotate_due(referrals, settings_map):
    now = timezone.now()
    for r in referrals:
        r.due = wf.due_at(r, settings_map)
        r.overdue = bool(r.due and r.due < now)
        running = wf.running_clock(r)
        r.clock = wf.CLOCKS_BY_KEY[running[0]] if running else None
    return referrals


def _step_forms(referral, user, roles, bound=None):
    """(step, form, field names to show) for each step available to the user."""
    out = []
    for step in wf.available_steps(referral, user):
        fields = list(step.fields)
        if "proof" in fields and AGENCY in roles:
            fields.remove("proof")
        form = bound if bound is not None and bound.prefix == step.action else None
        form = form or StepForm(prefix=step.action)
        form.show(step, fields)
        out.append({"step": step, "form": form, "fields": fields})
    return out


# What an agency sees of a referral's history: from sending on, never the kelurahan's drafting.
AGENCY_EVENTS = (
    "emergency",
    "send",
    "ratify",
    "acknowledge",
    "complete",
    "decline",
    "cancel",
    "refuse",
)


def _timeline(referral, agency_view=False):
    qs = CaseEvent.objects.filter(case_id=referral.case_id, data__referral=referral.pk)
    if agency_view:
        qs = qs.filter(action__in=AGENCY_EVENTS)
    events = list(qs.select_related("actor").order_by("at", "pk"))
    for e in events:
        e.label = wf.EVENT_LABELS.get(e.action, e.action)
    return events


def _detail_context(request, referral, bound=None):
    roles = referral.user_roles
    is_agency_view = AGENCY in roles and not (roles - {AGENCY})
    annotate_due([referral], _settings_map([referral.kelurahan_id]))
    shown = set(referral.letter_shared_fields or referral.shared_fields or [])
    show_summary = True
    if is_agency_view:
        # What the agency may see is asked of consent in force now (cases/invariants.py): a
        # withdrawal shrinks this view at once.
        shown &= set(shown_to_agency(referral))
        show_summary = summary_shown_to_agency(referral)
    return {
        "r": referral,
        "roles": roles,
        "is_agency_view": is_agency_view,
        "steps": _step_forms(referral, request.user, roles, bound),
        "timeline": _timeline(referral, is_agency_view),
        "case_url": "" if is_agency_view else case_url(referral.case),
        "identity": letters.identity_rows(referral, shown),
        "shown": shown,
        "show_summary": show_summary,
        "letter_available": not is_agency_view or agency_may_download_letter(referral),
        "is_roleplay": referral.case.is_roleplay,
        "can_edit": COMPANION in roles and referral.state in (State.DRAFT, State.RETURNED),
        "step_form": bound,
    }


@require_GET
def referral_detail(request, pk):
    referral = get_referral_for_user(request, pk)
    if not referral.letter_shared_fields:
        referral.letter_shared_fields = letters.effective_shared_fields(referral)
    return render(request, "referrals/detail.html", _detail_context(request, referral))


def _already_done(request, url_name, **kwargs):
    messages.info(request, ALREADY_DONE_MESSAGE)
    return redirect(url_name, **kwargs)


@require_POST
def referral_step(request, pk, action):
    """One step of the referral procedure. The engine decides (state, role, guards,
    invariants): a refusal shows its reasons on the referral's page."""
    referral = get_referral_for_user(request, pk, action=action)
    step = wf.STEPS_BY_ACTION.get(action)
    if step is None or step.internal or action in ("create", "emergency"):
        raise Http404
    form = StepForm(request.POST, prefix=action)
    if not form.is_valid():
        ctx = _detail_context(request, referral, bound=form)
        return render(request, "referrals/detail.html", ctx, status=400)
    try:
        services.referral_advance(
            referral=referral, action=action, actor=request.user, data=form.cleaned_data
        )
    except AlreadyDone:
        return _already_done(request, "referrals:detail", pk=referral.pk)
    except TransitionRefused as exc:
        for reason in exc.reasons:
            form.add_error(None, reason)
        ctx = _detail_context(request, referral, bound=form)
        return render(request, "referrals/detail.html", ctx, status=400)
    messages.success(request, _("Done: %(label)s.") % {"label": step.label})
    nxt = request.POST.get("next")
    if nxt in ("queue", "inbox"):
        return redirect(f"referrals:{nxt}")
    return redirect("referrals:detail", pk=referral.pk)


@require_POST
def referral_start(request, action_pk):
    """ "Buat rujukan" on a planned action whose provider is an agency: a draft to complete."""
    pa = get_object_or_404(PlannedAction.objects.select_related("agency"), pk=action_pk)
    case = get_case_for_user(request, pa.case_id, action="referral_create", need=FULL)
    if pa.case_id != case.pk:
        raise Http404
    try:
        referral = services.referral_create(action=pa, actor=request.user)
    except AlreadyDone as done:
        return _already_done(request, "referrals:edit", pk=done.record.result_id)
    except TransitionRefused as exc:
        for reason in exc.reasons:
            messages.error(request, reason)
        return redirect(case_url(case) or "home")
    return redirect("referrals:edit", pk=referral.pk)


def referral_edit(request, pk):
    referral = get_referral_for_user(request, pk, action="edit")
    if COMPANION not in referral.user_roles or referral.state not in (
        State.DRAFT,
        State.RETURNED,
    ):
        raise Http404
    initial = {
        "kind": referral.kind,
        "action": referral.action_id,
        "services_requested": referral.services_requested,
        "summary": referral.summary,
        "shared_fields": referral.shared_fields,
        "version": referral.version,
    }
    form = ReferralForm(request.POST or None, initial=initial, referral=referral)
    if request.method == "POST" and form.is_valid():
        try:
            # The draft is saved even when the request is then refused (nothing typed is
            # lost while the companion records the missing consent); a draft saved unchanged
            # writes nothing.
            services.referral_update(referral=referral, actor=request.user, data=form.cleaned_data)
            if "request" in request.POST:
                services.referral_advance(referral=referral, action="request", actor=request.user)
                messages.success(request, _("The referral was sent for approval."))
                return redirect("referrals:detail", pk=referral.pk)
        except AlreadyDone:
            return _already_done(request, "referrals:detail", pk=referral.pk)
        except TransitionRefused as exc:
            for reason in exc.reasons:
                form.add_error(None, reason)
        else:
            messages.success(request, _("The draft was saved."))
            return redirect("referrals:edit", pk=referral.pk)
    return render(
        request,
        "referrals/edit.html",
        {
            "r": referral,
            "form": form,
            "case_url": case_url(referral.case),
            "is_roleplay": referral.case.is_roleplay,
        },
        status=400 if form.errors else 200,
    )


def emergency_create(request, case_pk):
    case = get_case_for_user(request, case_pk, action="referral_emergency", need=FULL)
    if not may_make_emergency(request.user, case):
        raise Http404
    form = EmergencyForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            referral = services.referral_create_emergency(
                case=case,
                actor=request.user,
                victim=d["victim"],
                agency=d["agency"],
                service_type=d["service_type"],
                ground=d["ground"],
                how=d["how"],
                made_at=d["made_at"],
                summary=d["summary"],
                services_requested=d["services_requested"],
                shared_fields=d["shared_fields"],
            )
        except AlreadyDone as done:
            return _already_done(request, "referrals:detail", pk=done.record.result_id)
        except TransitionRefused as exc:
            for reason in exc.reasons:
                form.add_error(None, reason)
        else:
            messages.success(
                request,
                _("The emergency referral is recorded; the kelurahan staff must ratify it."),
            )
            return redirect("referrals:detail", pk=referral.pk)
    return render(
        request,
        "referrals/emergency.html",
        {"case": case, "form": form, "case_url": case_url(case), "is_roleplay": case.is_roleplay},
        status=400 if form.errors else 200,
    )


@require_GET
def letter_download(request, pk):
    referral = get_referral_for_user(request, pk, action="letter")
    if not referral.pdf_sha256:
        raise Http404
    agency_only = AGENCY in referral.user_roles and not (referral.user_roles - {AGENCY})
    if agency_only and not agency_may_download_letter(referral):
        # Consent was withdrawn after the letter was issued: the agency no longer gets it (the
        # stored letter stays unchanged in the archive, with its hash).
        raise Http404
    data = letters.read_letter(referral)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", referral.letter_number)
    resp = HttpResponse(data, content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="surat-rujukan-{safe}.pdf"'
    return resp


@require_GET
def queue(request):
    roles = roles_of(request.user)
    kel_ids = [k for k in roles.by_kelurahan if roles.is_staff_at(k)]
    if not kel_ids:
        raise Http404
    qs = (
        Referral.objects.filter(kelurahan_id__in=kel_ids)
        .filter(
            Q(state=State.REQUESTED)
            | Q(is_emergency=True, state=State.SENT, ratified_at__isnull=True)
        )
        .select_related("case", "agency", "kelurahan", "requested_by", "victim")
    )
    items = annotate_due(list(qs), _settings_map(kel_ids))
    far = timezone.now() + datetime.timedelta(days=3650)
    items.sort(key=lambda r: (not r.awaits_ratification, r.due or far))
    return render(
        request,
        "referrals/queue.html",
        {
            "emergencies": [r for r in items if r.awaits_ratification],
            "requests": [r for r in items if not r.awaits_ratification],
        },
    )


@require_GET
def inbox(request):
    roles = roles_of(request.user)
    if not roles.agency_ids:
        raise Http404
    q = (request.GET.get("q") or "").strip()[:80]
    qs = agency_referrals(request.user).select_related("kelurahan", "agency", "case", "victim")
    if q:
        qs = qs.filter(letter_number__icontains=q)
    items = annotate_due(list(qs.order_by("-sent_at", "-pk")[:200]), _settings_map([]))
    for r in items:
        r.roleplay = r.case.is_roleplay
    return render(
        request,
        "referrals/inbox.html",
        {
            "q": q,
            "real": [r for r in items if not r.roleplay],
            "simulations": [r for r in items if r.roleplay],
        },
    )


def _register_rows(request):
    roles = roles_of(request.user)
    kel_ids = roles.kelurahan_with(*KELURAHAN_WIDE_ROLES)
    if not kel_ids:
        raise Http404
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    kel = request.GET.get("kelurahan")
    if kel and kel.isdigit() and int(kel) in kel_ids:
        kel_ids = [int(kel)]
    qs = (
        visible_referrals(request.user)
        .filter(kelurahan_id__in=kel_ids, letter_year=year)
        .exclude(letter_number="")
        .select_related("kelurahan", "agency", "case", "signer")
        .order_by("kelurahan__name", "letter_roleplay", "letter_seq")
    )
    return year, kel_ids, list(qs)


@require_GET
def register(request):
    year, kel_ids, rows = _register_rows(request)
    for kel_id in kel_ids:
        log_access(request, "referral_register", kelurahan_id=kel_id, detail=str(year))
    return render(
        request,
        "referrals/register.html",
        {"year": year, "rows": rows, "years": range(timezone.localdate().year, 2024, -1)},
    )


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """Neutralise spreadsheet formulas: a cell starting with = + - @ gets a leading apostrophe."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


@require_GET
def register_csv(request):
    year, kel_ids, rows = _register_rows(request)
    for kel_id in kel_ids:
        log_access(request, "referral_register_csv", kelurahan_id=kel_id, detail=str(year))
    resp = HttpResponse(content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="register-rujukan-{year}.csv"'
    w = csv.writer(resp)
    w.writerow(
        [
            "Nomor surat",
            "Tanggal",
            "Kelurahan",
            "Kasus",
            "Instansi",
            "Jenis",
            "Darurat",
            "Status",
            "Penanda tangan",
            "Simulasi",
        ]
    )
    for r in rows:
        w.writerow(
            [
                csv_safe(x)
                for x in (
                    r.letter_number,
                    letters.tanggal(r.issued_at),
                    r.kelurahan.name,
                    r.case.number,
                    r.agency.name,
                    r.get_kind_display(),
                    "ya" if r.is_emergency else "",
                    r.get_state_display(),
                    r.signer_name,
                    "ya" if r.letter_roleplay else "",
                )
            ]
        )
    return resp


@login_not_required
@require_GET
def verify(request, token):
    """Public: confirms that the app issued this number on that date to that agency, and whether
    it is valid or cancelled. No personal data at all. Rate-limited in the shared DB cache."""
    key = f"verify-rate:{client_ip(request) or 'unknown'}"
    cache.add(key, 0, VERIFY_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, VERIFY_WINDOW)
        count = 1
    if count > VERIFY_LIMIT:
        return render(request, "referrals/verify_limited.html", status=429)
    if not token or len(token) > 64:
        raise Http404
    r = (
        Referral.objects.select_related("kelurahan", "agency")
        .filter(verify_token=token)
        .exclude(letter_number="")
        .first()
    )
    if r is None:
        raise Http404
    return render(
        request,
        "referrals/verify.html",
        {
            "number": r.letter_number,
            "date": letters.tanggal(r.issued_at),
            "kelurahan": str(r.kelurahan),
            "agency": r.agency.name,
            "cancelled": r.state == State.CANCELLED,
            "roleplay": r.letter_roleplay,
        },
    )
