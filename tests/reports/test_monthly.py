"""The monthly report PDF, read back as text: letterhead, figures, signature block; protected
unless an internal copy is asked for, which says RAHASIA on every page and is logged."""

import io

import pypdf

from cases.models import AccessLog
from tests.factories import make_case
from tests.reports.test_figures import build


def pages(data):
    return [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages]


def test_monthly_pdf_protected_and_internal(personas):
    build(personas)
    make_case(personas, "handling")  # not in December 2026 unless run then: harmless
    c = personas.client("ws.lurah")
    r = c.get("/reports/monthly/")
    assert r.status_code == 200 and "RAHASIA" in r.content.decode()
    r = c.get("/reports/monthly/pdf/?year=2026&month=12")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = pages(r.content)
    whole = "\n".join(text)
    assert "PEMERINTAH KOTA PAREPARE" in whole and "KELURAHAN WATANG SOREANG" in whole
    assert "LAPORAN BULANAN LBK-KK" in whole and "Desember 2026" in whole
    assert "Kasus baru" in whole and "<5" in whole
    assert "Perkosaan" not in whole  # sexual violence not at kelurahan level when protected
    assert "LURAH WATANG SOREANG" in whole and "ROSMINI TAHIR" in whole
    assert "197908232005022003" in whole
    assert not any("RAHASIA" in t for t in text)
    assert AccessLog.objects.filter(action="monthly_report", user=personas["ws.lurah"]).exists()

    r = c.get("/reports/monthly/pdf/?year=2026&month=12&internal=1")
    text = pages(r.content)
    assert len(text) > 1 and all("RAHASIA" in t for t in text)
    whole = "\n".join(text)
    assert "Perkosaan" in whole and "<5" not in whole
    log = AccessLog.objects.get(action="monthly_report_internal")
    assert (
        "RAHASIA" in log.detail
        and log.kelurahan_id == personas["ws.lurah"].memberships.get().kelurahan_id
    )


def test_monthly_report_is_the_kelurahan_staffs(personas):
    for who in ("kota.analis", "uptdppa.petugas", "ws.pendamping", "ws.relawan"):
        assert (
            personas.client(who).get("/reports/monthly/pdf/?year=2026&month=12").status_code == 404
        )


def test_monthly_pdf_signed_by_the_acting_head_while_in_force(personas):
    """While a Plh. of the lurah is in force, the report reads "Plh. LURAH ..." with their name,
    rank and NIP (rendered directly: the PDF is the same the page serves)."""
    import datetime

    from django.utils import timezone

    from joining.models import ActingHead
    from reports.monthly import render_monthly_pdf
    from reports.periods import Period

    ws = personas["ws.kasikesra"].memberships.get().kelurahan
    today = timezone.localdate()
    ActingHead.objects.create(
        kelurahan=ws,
        user=personas["ws.kasikesra"],
        kind="plh",
        valid_from=today - datetime.timedelta(days=1),
        valid_until=today + datetime.timedelta(days=1),
        rank="Penata (III/c)",
        nip="198504122010011007",
        created_by=personas["ws.lurah"],
    )
    period = Period("month", datetime.date(2026, 11, 1), datetime.date(2026, 11, 1))
    whole = "\n".join(pages(render_monthly_pdf(ws, period)))
    name = personas["ws.kasikesra"].get_full_name().upper()
    assert "Plh. LURAH WATANG SOREANG" in whole and name in whole
    assert "198504122010011007" in whole and "ROSMINI TAHIR" not in whole
