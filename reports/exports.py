"""Exports of the reports: the tables of a section page as XLSX (one sheet per table, headers in
Indonesian, numbers as numbers) and CSV, and the per-victim SIMFONI export. Text that a
spreadsheet would read as a formula (starting with = + - @, a tab or a carriage return) is
written as text: in XLSX with the string type, never as a formula; in CSV behind an apostrophe.
Every export is written to the access log with its row count (reports/views.py)."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.http import HttpResponse

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Sheet = tuple[str, list[str], list[list[object]]]  # title, header, rows


def csv_text(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def report_sheets(report) -> list[Sheet]:
    from django.utils.translation import gettext as _

    sheets: list[Sheet] = []
    if report.figures:
        sheets.append(
            (_("Figures"), [_("Figure"), _("Value")], [[str(k), v] for k, v in report.figures])
        )
    for t in report.tables:
        header = [_("Category"), *[str(c) for c in t.columns]]
        rows: list[list[object]] = [[str(label), *values] for label, values in t.rows]
        if t.total:
            label = _("Total") + (" (" + _("rounded") + ")" if report.protected else "")
            rows.append([label, *t.total])
        sheets.append((str(t.title), header, rows))
    return sheets


def row_count(sheets: Sequence[Sheet]) -> int:
    return sum(len(rows) for _t, _h, rows in sheets)


def _sheet_title(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title)[:28].strip() or "Tabel"
    name, i = base, 2
    while name.lower() in used:
        name = f"{base[:26]} {i}"
        i += 1
    used.add(name.lower())
    return name


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for title, header, rows in sheets:
        ws = wb.create_sheet(_sheet_title(title, used))
        ws.append([title])
        ws["A1"].font = Font(bold=True)
        for r, values in enumerate([header, *rows], start=2):
            for c, value in enumerate(values, start=1):
                cell = ws.cell(row=r, column=c)
                if isinstance(value, bool):
                    value = "ya" if value else "tidak"
                if isinstance(value, (int, float)):
                    cell.value = value
                else:
                    cell.value = "" if value is None else str(value)
                    # Never a formula, whatever the text starts with.
                    cell.data_type = "s"
                if r == 2:
                    cell.font = Font(bold=True)
        ws.column_dimensions["A"].width = 48
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(sheets: Sequence[Sheet]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    for i, (title, header, rows) in enumerate(sheets):
        if i:
            w.writerow([])
        w.writerow([csv_text(title)])
        w.writerow([csv_text(h) for h in header])
        for values in rows:
            w.writerow([csv_text(v) for v in values])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def response(sheets: Sequence[Sheet], fmt: str, filename: str) -> HttpResponse:
    if fmt == "xlsx":
        resp = HttpResponse(
            xlsx_bytes(sheets),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        resp = HttpResponse(csv_bytes(sheets), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    resp["X-Content-Type-Options"] = "nosniff"
    return resp


# --- the per-victim SIMFONI export -------------------------------------------------------------


def pseudonym(victim_id: int) -> str:
    """A stable row id that names nobody: a keyed hash of the victim's id (the same row gets the
    same id in every export while SECRET_KEY stays the same)."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"simfoni-victim:{victim_id}".encode(), hashlib.sha256).hexdigest()[:16]


SIMFONI_HEADER = [
    "ID baris",
    "Kelurahan",
    "Bulan registrasi",
    "Jenis kasus",
    "Jenis kelamin",
    "Kelompok umur",
    "Pendidikan",
    "Disabilitas",
    "Ragam disabilitas",
    "Jenis kekerasan",
    "Jenis TPKS",
    "Tempat kejadian",
    "Hubungan pelaku dengan korban",
    "Layanan",
    "Instansi rujukan",
    "Hasil rujukan",
    "Dirujuk ke UPTD PPA/DP3A",
]


def simfoni_rows(victims: Iterable) -> list[list[object]]:
    """One row per victim in DATA.md's SIMFONI-derived categories: no name, NIK, address, phone,
    narrative or case number."""
    from accounts.models import Agency
    from cases import vocab
    from referrals.models import Outcome, State

    def labels(enum, codes):
        out = []
        for c in codes or []:
            try:
                out.append(str(enum(c).label))
            except ValueError:
                out.append(str(c))
        return "; ".join(out)

    rows: list[list[object]] = []
    for v in victims:
        case = v.case
        kinds = []
        if case.is_violence:
            kinds.append("Kekerasan")
        if case.is_social_protection:
            kinds.append("Perlindungan sosial")
        refs = [r for r in case.referrals.all() if r.victim_id == v.pk and r.state != State.DRAFT]
        refs = [r for r in refs if r.state != State.CANCELLED]
        relations = sorted(
            {str(vocab.Relation(x.relation).label) for x in v.perpetrator_links.all() if x.relation}
        )
        disabled = bool(v.disability_types) or any(
            getattr(v, f) in (vocab.WgAnswer.A_LOT, vocab.WgAnswer.CANNOT)
            for f, _l in vocab.WG_DOMAINS
        )
        rows.append(
            [
                pseudonym(v.pk),
                case.kelurahan.name,
                case.registered_at.strftime("%Y-%m"),
                "; ".join(kinds),
                v.get_sex_display() if v.sex else "",
                v.age_group,
                v.get_education_display() if v.education else "",
                "ya" if disabled else "tidak",
                labels(vocab.DisabilityType, v.disability_types),
                labels(vocab.ViolenceType, case.violence_types),
                labels(vocab.TpksType, case.tpks_types),
                case.get_incident_place_display() if case.incident_place else "",
                "; ".join(relations),
                labels(vocab.ServiceType, sorted({a.service_type for a in v.actions.all()})),
                "; ".join(sorted({r.agency.name for r in refs})),
                "; ".join(sorted({str(Outcome(r.outcome).label) for r in refs if r.outcome})),
                "ya"
                if any(r.agency.kind in (Agency.Kind.UPTD_PPA, Agency.Kind.DP3A) for r in refs)
                else "tidak",
            ]
        )
    return rows
