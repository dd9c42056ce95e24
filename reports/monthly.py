"""The monthly report (Laporan Bulanan LBK-KK): a PDF with the kelurahan's letterhead, the
period's figures and charts (the same numbers as the report pages: reports/sections.py), the
outreach activities, and the signature block of the head of the place (Lurah or Kepala Desa).
Every table is protected as for kota-level readers (reports/protect.py), unless the reader asks
for an internal copy: exact figures, marked RAHASIA on every page (and logged by the view).
Rendered by a function that takes no request, through lbk/pdf.py."""

from __future__ import annotations

from types import SimpleNamespace

from django.template.loader import render_to_string
from django.utils import timezone, translation

from lbk import pdf

from . import sections
from .periods import Period
from .scope import Place, Scope

SECTION_ORDER = ("victims", "violence", "social", "services", "quality", "outreach")


def monthly_context(kelurahan, period: Period, *, internal: bool) -> dict:
    from cases.procedure_print import signer_of
    from referrals.letters import kota_short, tanggal

    place = Place(f"kel:{kelurahan.pk}", "kelurahan", str(kelurahan), [kelurahan.pk])
    scope = Scope(
        protected=not internal,
        custom_periods=False,
        roleplay_switch=False,
        sections=SECTION_ORDER,
        places=[place],
    )
    reports = [sections.build(s, scope, period, place) for s in SECTION_ORDER]
    from outreach.reports import activities_for_pdf

    extra = activities_for_pdf(kelurahan, period, protected=not internal)
    head = kelurahan.head_title.upper()
    signer = signer_of(kelurahan)
    # While an acting head (Plh./Plt., set in the guided setup) is in force, the report is
    # signed in the head's name by them: "Plh. LURAH ...", their name, rank and NIP.
    from joining.models import ActingHead

    acting = ActingHead.in_force(kelurahan.pk, timezone.now().astimezone(kelurahan.tzinfo).date())
    if acting is not None:
        head = f"{acting.label} {head}"
        signer = SimpleNamespace(user=acting.user, rank=acting.rank, nip=acting.nip)
    return {
        "kelurahan": kelurahan,
        "period": period,
        "reports": reports,
        "outreach": extra,
        "internal": internal,
        "protected": not internal,
        "head": head,
        "signer": signer,
        "place_date": f"{kota_short(kelurahan.kota)}, {tanggal(timezone.now())}",
        "static": pdf.STATIC_PREFIX,
    }


def render_monthly_pdf(kelurahan, period: Period, *, internal: bool = False) -> bytes:
    with translation.override("id"):
        ctx = monthly_context(kelurahan, period, internal=internal)
        html = render_to_string("reports/monthly_pdf.html", ctx)
    return pdf.render_pdf(html)
