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
