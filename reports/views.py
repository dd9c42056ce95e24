"""Report pages: one page per section, for a period and a place the reader may choose
(reports/scope.py says which), each within a fixed number of queries."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts.models import Role
from accounts.roles import roles_of

from . import periods, sections
from .scope import scope_for


@require_GET
def index(request):
    scope = scope_for(request.user)
    return redirect("reports:section", section=scope.sections[0])


def _context(request, section: str):
    scope = scope_for(request.user)
    if section not in scope.sections:
        raise Http404
    period = periods.parse(request.GET, custom_allowed=scope.custom_periods)
    place = scope.place(request.GET.get("place"))
    roleplay = scope.roleplay_switch and request.GET.get("roleplay") == "1"
    report = sections.build(section, scope, period, place, roleplay=roleplay)
    kinds = [k for k in periods.KINDS if scope.custom_periods or k[0] in periods.FIXED]
    return (
        scope,
        report,
        {
            "scope": scope,
            "report": report,
            "section": section,
            "sections": [(k, sections.SECTIONS[k]) for k in scope.sections],
            "period_kinds": kinds,
            "months": range(1, 13),
            "quarters": range(1, 5),
            "params": request.GET,
            "roleplay": roleplay,
            "query": request.GET.urlencode(),
            "is_coordinator": bool(roles_of(request.user).kelurahan_with(Role.KOORDINATOR)),
        },
    )


@require_GET
def section(request, section: str):
    _scope, _report, context = _context(request, section)
    return render(request, "reports/section.html", context)


def _span(period) -> str:
    return f"{period.first:%Y-%m}..{period.last:%Y-%m}"


def _log_export(request, what: str, *, kelurahan_ids: list[int], rows: int, detail: str) -> None:
    """Every export in the access log with its row count (one entry per kelurahan it covers, so
    each kelurahan's access log shows it; one without a kelurahan for a kota-wide export)."""
    from cases.access import log_access

    text = f"{detail} rows={rows}"
    if len(kelurahan_ids) == 1:
        log_access(request, what, kelurahan_id=kelurahan_ids[0], detail=text)
    else:
        log_access(request, what, detail=text)


@require_GET
def export(request, section: str, fmt: str):
    if fmt not in ("xlsx", "csv"):
        raise Http404
    _scope, report, _context_ = _context(request, section)
    from . import exports

    sheets = exports.report_sheets(report)
    n = exports.row_count(sheets)
    _log_export(
        request,
        "report_export",
        kelurahan_ids=report.place.kelurahan_ids,
        rows=n,
        detail=f"{section}.{fmt} {report.place.key} {_span(report.period)}",
    )
    name = f"laporan-{section}-{report.period.first:%Y%m}-{report.period.last:%Y%m}"
    return exports.response(sheets, fmt, name)


@require_GET
def simfoni(request, fmt: str):
    """The per-victim export in SIMFONI's categories, for the coordinator and kelurahan staff of
    their own kelurahan: a pseudonymous row id, no name, NIK, address, phone, narrative or case
    number; victims whose "anonymous statistics" consent was withdrawn are left out."""
    from django.db.models import Q

    from accounts.models import KELURAHAN_WIDE_ROLES
    from cases.models import Consent, Victim
    from cases.vocab import ConsentPurpose

    from . import exports

    if fmt not in ("xlsx", "csv"):
        raise Http404
    kel_ids = roles_of(request.user).kelurahan_with(*KELURAHAN_WIDE_ROLES)
    if not kel_ids:
        raise Http404
    scope = scope_for(request.user)
    period = periods.parse(request.GET, custom_allowed=True)
    place = scope.place(request.GET.get("place"))
    stats = Consent.objects.filter(purpose=ConsentPurpose.STATISTICS)
    withdrawn = stats.filter(withdrawn_at__isnull=False).values("victim_id")
    in_force = stats.filter(withdrawn_at__isnull=True).values("victim_id")
    victims = (
        Victim.objects.filter(
            kelurahan_id__in=[k for k in place.kelurahan_ids if k in kel_ids],
            case__is_roleplay=False,
            case__registered_at__gte=period.start_dt(place.tzinfo),
            case__registered_at__lt=period.end_dt(place.tzinfo),
        )
        .exclude(Q(pk__in=withdrawn) & ~Q(pk__in=in_force))
        .select_related("case__kelurahan")
        .prefetch_related("case__referrals__agency", "perpetrator_links", "actions")
        .order_by("case__registered_at", "pk")
    )
    rows = exports.simfoni_rows(victims)
    _log_export(
        request,
        "simfoni_export",
        kelurahan_ids=place.kelurahan_ids,
        rows=len(rows),
        detail=f"simfoni.{fmt} {_span(period)}",
    )
    sheets = [("SIMFONI-PPA (per korban)", exports.SIMFONI_HEADER, rows)]
    return exports.response(sheets, fmt, f"simfoni-{period.first:%Y%m}-{period.last:%Y%m}")


def _monthly_scope(request):
    """The monthly report is the kelurahan's: its coordinator, kasi kesra and lurah."""
    from accounts.models import KELURAHAN_WIDE_ROLES

    if not roles_of(request.user).kelurahan_with(*KELURAHAN_WIDE_ROLES):
        raise Http404
    return scope_for(request.user)


@require_GET
def monthly(request):
    from django.utils import timezone

    scope = _monthly_scope(request)
    return render(
        request,
        "reports/monthly.html",
        {"places": scope.places, "months": range(1, 13), "today": timezone.localdate()},
    )


@require_GET
def monthly_pdf(request):
    from django.http import HttpResponse

    from accounts.models import Kelurahan

    from .monthly import render_monthly_pdf

    scope = _monthly_scope(request)
    place = scope.place(request.GET.get("place"))
    period = periods.parse({**request.GET.dict(), "period": "month"}, custom_allowed=False)
    kelurahan = Kelurahan.objects.get(pk=place.kelurahan_ids[0])
    internal = request.GET.get("internal") == "1"
    data = render_monthly_pdf(kelurahan, period, internal=internal)
    _log_export(
        request,
        "monthly_report_internal" if internal else "monthly_report",
        kelurahan_ids=[kelurahan.pk],
        rows=1,
        detail=f"laporan bulanan {_span(period)}{' RAHASIA' if internal else ''}",
    )
    resp = HttpResponse(data, content_type="application/pdf")
    suffix = "-rahasia" if internal else ""
    name = f"laporan-bulanan-{kelurahan.code}-{period.first:%Y%m}{suffix}.pdf"
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp
