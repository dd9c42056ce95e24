"""Item 7: the enacted SK in letters and in the printed procedure (text read from the PDFs)."""

import datetime
import io
import re

import pypdf
import pytest

from cases.procedure_print import render_procedure_pdf
from mechanism import services
from referrals import letters
from tests.factories import make_referral, mechanism_version

pytestmark = pytest.mark.django_db


def text_of(data):
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [re.sub(r"\s+", " ", p.extract_text()) for p in reader.pages]


def test_letters_cite_no_decree_before_and_the_sk_once_enacted(personas, master):
    trial = mechanism_version("ws", state="trial")
    before = " ".join(text_of(letters.read_letter(make_referral(personas, "sent"))))
    assert "Dalam rangka penanganan kasus" in before
    assert "Berdasarkan" not in before and "Keputusan" not in before
    assert "DRAF" not in before and "SIMULASI" not in before

    services.enact(
        version_id=trial.pk,
        actor=personas["ws.lurah"],
        sk_number="7 TAHUN 2026",
        sk_date=datetime.date(2026, 10, 1),
        title="Mekanisme Penanganan Kasus pada LBK-KK",
    )
    after = " ".join(text_of(letters.read_letter(make_referral(personas, "sent"))))
    assert (
        "Berdasarkan Keputusan Lurah Watang Soreang Nomor 7 TAHUN 2026 tanggal 1 Oktober 2026 "
        "tentang Mekanisme Penanganan Kasus pada LBK-KK" in after
    )
    assert "Dalam rangka" not in after and "DRAF" not in after
    # Role play: SIMULASI is the only mark.
    sim = " ".join(text_of(letters.read_letter(make_referral(personas, "sent", roleplay=True))))
    assert "SIMULASI" in sim and "DRAF" not in sim


def test_printed_procedure_draf_before_and_the_sk_after(personas, master):
    ws = master["ws"]
    version = mechanism_version(
        "ws",
        state="trial",
        deadlines={"plan": (5, "working_days")},
        local_rules="Pengaduan malam hari diterima lewat telepon piket.",
    )
    pages = text_of(render_procedure_pdf(ws))
    assert len(pages) > 1 and all("DRAF" in p for p in pages)
    text = " ".join(pages)
    assert "NOMOR ......" in text
    assert "5 hari kerja" in text or "5 working days" in text
    assert "telepon piket" in text

    services.enact(
        version_id=version.pk,
        actor=personas["ws.lurah"],
        sk_number="7 TAHUN 2026",
        sk_date=datetime.date(2026, 10, 1),
        title="Mekanisme Penanganan Kasus pada LBK-KK",
    )
    version.refresh_from_db()
    pages = text_of(render_procedure_pdf(ws))
    text = " ".join(pages)
    assert not any("DRAF" in p for p in pages)
    assert "NOMOR 7 TAHUN 2026" in text and "TANGGAL 1 OKTOBER 2026" in text
    assert "TENTANG MEKANISME PENANGANAN KASUS PADA LBK-KK" in text
    # The version's own page serves the same annex.
    r = personas.client("ws.kasikesra").get(f"/mechanism/WS/{version.number}/procedure.pdf")
    assert r.status_code == 200 and "NOMOR 7 TAHUN 2026" in " ".join(text_of(r.content))


def test_a_desa_prints_kepala_desa(personas, master):
    wb = master["wb"]
    wb.kind = "desa"
    wb.save()
    text = " ".join(text_of(render_procedure_pdf(wb)))
    assert "KEPUTUSAN KEPALA DESA WATANG BACUKIKI" in text
    assert "KEPALA DESA WATANG BACUKIKI," in text
    assert "LURAH" not in text.upper().replace("KELURAHAN", "")
