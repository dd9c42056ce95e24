"""Exports: the XLSX opened and its cells read (numbers as numbers, a formula kept as text), the
CSV neutralised, the per-victim SIMFONI export's columns and consent, the access log."""

import csv
import io

import openpyxl

from cases.models import AccessLog
from cases.services.procedure import case_advance
from reports import exports
from tests.factories import give_consent, make_case, make_referral

FORMULA = '=HYPERLINK("http://contoh.invalid/?x","klik")'


def test_xlsx_cells_are_numbers_and_text_never_formulas():
    sheets = [("Tabel", ["Kategori", "Jumlah"], [[FORMULA, 7], ["+62 812", "<5"], ["@x", 0]])]
    wb = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(sheets)))
    ws = wb.worksheets[0]
    assert ws["A1"].value == "Tabel"
    assert [c.value for c in ws[2]] == ["Kategori", "Jumlah"]
    assert ws["A3"].value == FORMULA and ws["A3"].data_type == "s"
    assert ws["B3"].value == 7 and ws["B3"].data_type == "n"
    assert ws["B4"].value == "<5" and ws["A4"].data_type == "s"


def test_csv_is_formula_neutral():
    sheets = [("T", ["Kategori", "Jumlah"], [[FORMULA, 1], ["-1+2", 2], ["\tx", 3], ["\rx", 4]])]
    text = exports.csv_bytes(sheets).decode("utf-8-sig")
    cells = [row[0] for row in csv.reader(io.StringIO(text)) if row]
    assert "'" + FORMULA in cells and "'-1+2" in cells and "'\tx" in cells


def test_section_export_xlsx_and_csv_logged_with_row_count(personas):
    make_case(personas, "handling")
    c = personas.client("ws.koordinator")
    r = c.get("/reports/victims/export/xlsx/?period=year&year=2026")
    assert r.status_code == 200 and r["Content-Disposition"].endswith('.xlsx"')
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    titles = [ws["A1"].value for ws in wb.worksheets]
    assert "Korban menurut jenis kelamin" in titles
    ws = wb.worksheets[titles.index("Korban menurut jenis kelamin")]
    assert [c.value for c in ws[2]] == ["Kategori", "Jumlah"]
    assert ws["A3"].value == "Perempuan" and ws["B3"].value == 1
    log = AccessLog.objects.filter(action="report_export").latest("pk")
    n = sum(ws.max_row - 2 for ws in wb.worksheets)
    assert log.detail.endswith(f"rows={n}") and log.user == personas["ws.koordinator"]
    r = c.get("/reports/victims/export/csv/?period=year&year=2026")
    assert "Korban menurut jenis kelamin" in r.content.decode("utf-8-sig")
    assert AccessLog.objects.filter(action="report_export").count() == 2


def test_kota_analyst_export_is_protected(personas):
    make_case(personas, "handling")
    c = personas.client("kota.analis")
    r = c.get("/reports/victims/export/xlsx/?period=year&year=2026&place=kota:73.72")
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    values = [cell.value for ws in wb.worksheets for row in ws.iter_rows() for cell in row]
    assert "<5" in values
    assert not any(isinstance(v, int) and 1 <= v <= 4 for v in values)
    assert c.get("/reports/simfoni/xlsx/").status_code == 404


def test_simfoni_export(personas, master):
    uptd = master["uptd"]
    uptd.name = FORMULA  # master data an admin could type
    uptd.save()
    ref = make_referral(personas, "sent")  # a referral to UPTD PPA
    victim = ref.victim
    other = make_case(personas, "handling", child=True)
    gone = other.victims.get()
    consent = give_consent(gone, "statistics")
    case_advance(
        case=other,
        action="withdraw_consent",
        actor=other.companion,
        data={"consent": consent, "note": "tidak mau"},
    )
    kept = make_case(personas, "received")
    c = personas.client("ws.kasikesra")
    r = c.get("/reports/simfoni/xlsx/?period=year&year=2026")
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[2]]
    assert header == exports.SIMFONI_HEADER
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    ids = {row[0] for row in rows}
    assert exports.pseudonym(victim.pk) in ids
    assert exports.pseudonym(kept.victims.get().pk) in ids
    assert exports.pseudonym(gone.pk) not in ids  # withdrew "anonymous statistics"
    row = next(r for r in rows if r[0] == exports.pseudonym(victim.pk))
    col = dict(zip(header, row, strict=True))
    assert col["Instansi rujukan"] == FORMULA and col["Dirujuk ke UPTD PPA/DP3A"] == "ya"
    assert ws.cell(row=3 + rows.index(row), column=15).data_type == "s"
    assert col["Jenis kelamin"] == "Perempuan" and col["Kelompok umur"] == "25-44"
    flat = " ".join(str(v) for r in rows for v in r)
    for secret in (victim.full_name, victim.nik, victim.phone, ref.case.number, "Jl. Mawar"):
        assert secret not in flat
    log = AccessLog.objects.get(action="simfoni_export")
    assert log.detail.endswith(f"rows={len(rows)}") and log.kelurahan_id == master["ws"].pk
    # the same ids next time
    r2 = c.get("/reports/simfoni/csv/?period=year&year=2026")
    assert exports.pseudonym(victim.pk) in r2.content.decode("utf-8-sig")
