"""Referral pages. Every referral is fetched through referrals.access; every case through
cases.access; buttons come from referrals.workflow, never from template conditions."""

import csv
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db.models import Case, F, Q, Value, When
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import KELURAHAN_WIDE_ROLES
from accounts.roles import roles_of
from accounts.security import client_ip
from cases.access import FULL, get_case_for_user, log_access
from cases.engine import AGENCY, ALREADY_DONE_MESSAGE, COMPANION, AlreadyDone, TransitionRefused
from cases.invariants import agency_may_download_letter, shown_to_agency, summary_shown_to_agency
from cases.models import CaseEvent, PlannedAction
from cases.search import normalize_number
from lbk.paging import page_of

from . import clocks, letters, services
from . import workflow as wf
from .access import (
    agency_referrals,
    get_referral_for_user,
    may_make_emergency,
    visible_referrals,
)
from .forms import EmergencyForm, ReferralForm, StepForm
from .models import Referral, State
from .rows import QueueWords, queue_row

VERIFY_LIMIT = 30  # lookups per address per window
VERIFY_WINDOW = 600  # seconds


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
    clocks.mark_due_one(referral)
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
        "case_url": "" if is_agency_view else referral.case.get_absolute_url(),
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
        return redirect(case)
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
            "case_url": referral.case.get_absolute_url(),
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
        {
            "case": case,
            "form": form,
            "case_url": case.get_absolute_url(),
            "is_roleplay": case.is_roleplay,
        },
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


QUEUE_PAGE = 25
INBOX_PAGE = 25
QUEUE_FIELDS = (
    "id",
    "kind",
    "state",
    "is_emergency",
    "ratified_at",
    "due",
    "case__number",
    "case__is_roleplay",
    "agency__name",
    "requested_by__username",
    "requested_by__first_name",
    "requested_by__last_name",
)


@require_GET
def queue(request):
    """The kelurahan staff's approval queue: emergency referrals to ratify first, then requests,
    each most urgent first (SQL over the clock rows), a page at a time."""
    roles = roles_of(request.user)
    kel_ids = [k for k in roles.by_kelurahan if roles.is_staff_at(k)]
    if not kel_ids:
        raise Http404
    qs = clocks.with_due(
        Referral.objects.filter(kelurahan_id__in=kel_ids, case__is_roleplay=False).filter(
            Q(state=State.REQUESTED)
            | Q(is_emergency=True, state=State.SENT, ratified_at__isnull=True)
        )
    ).order_by(
        Case(When(state=State.SENT, then=Value(0)), default=Value(1)),
        F("due").asc(nulls_last=True),
        "pk",
    )
    # What a line shows (referrals/rows.py), as plain values: no model instances per line.
    page = page_of(qs.values(*QUEUE_FIELDS), request.GET.get("page"), QUEUE_PAGE)
    now = timezone.now()
    words = QueueWords()
    emergencies, requests = [], []
    for r in page.object_list:
        waits = r["is_emergency"] and r["state"] == State.SENT and r["ratified_at"] is None
        (emergencies if waits else requests).append(queue_row(r, words, now))
    return render(
        request,
        "referrals/queue.html",
        {"emergencies": emergencies, "requests": requests, "page_obj": page},
    )


@require_GET
def inbox(request):
    """The agency officer's inbox: every real referral addressed to their agency, newest first,
    a page at a time; role-play referrals are only in their session's simulation list."""
    roles = roles_of(request.user)
    if not roles.agency_ids:
        raise Http404
    q = (request.GET.get("q") or "").strip()[:80]
    sim = False
    qs = agency_referrals(request.user)
    if q:
        qs = qs.filter(letter_number__contains=normalize_number(q))
    qs = clocks.with_due(qs.select_related("kelurahan", "agency", "case", "victim"))
    page = page_of(qs.order_by("-sent_at", "-pk"), request.GET.get("page"), INBOX_PAGE)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "referrals/inbox.html",
        {
            "q": q,
            "sim": sim,
            "items": clocks.mark_due(page.object_list, timezone.now()),
            "page_obj": page,
            "querystring": params.urlencode(),
            "has_simulations": False,
        },
    )


REGISTER_PAGE = 50


def _register_rows(request):
    """The letters of a year, in number order per kelurahan and series: the order of the
    unique index on (kelurahan, year, series, number), so a page reads only its rows."""
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
        .filter(
            kelurahan_id__in=kel_ids,
            letter_year=year,
            letter_seq__isnull=False,
            letter_roleplay=False,
        )
        .select_related("kelurahan", "agency", "case", "signer")
        .order_by("kelurahan_id", "letter_roleplay", "letter_seq")
    )
    return year, kel_ids, qs


@require_GET
def register(request):
    year, kel_ids, qs = _register_rows(request)
    for kel_id in kel_ids:
        log_access(request, "referral_register", kelurahan_id=kel_id, detail=str(year))
    page = page_of(qs, request.GET.get("page"), REGISTER_PAGE)
    return render(
        request,
        "referrals/register.html",
        {
            "year": year,
            "rows": page.object_list,
            "page_obj": page,
            "querystring": f"year={year}",
            "years": range(timezone.localdate().year, 2024, -1),
        },
    )


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """Neutralise spreadsheet formulas: a cell starting with = + - @ gets a leading apostrophe."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


CSV_HEADER = [
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


class _Echo:
    """A file-like object whose write returns the line: csv.writer feeds the stream."""

    def write(self, value):
        return value


@require_GET
def register_csv(request):
    """The year's register as CSV, streamed row by row (any size, constant memory)."""
    year, kel_ids, qs = _register_rows(request)
    for kel_id in kel_ids:
        log_access(request, "referral_register_csv", kelurahan_id=kel_id, detail=str(year))
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(CSV_HEADER)
        for r in qs.iterator(chunk_size=1000):
            yield writer.writerow(
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

    resp = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="register-rujukan-{year}.csv"'
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
