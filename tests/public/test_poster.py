"""The A4 poster: Indonesian text, the posko's address, hours and phone, and a QR code that
decodes to the public page's URL (rendered with pypdfium2, read with zxing-cpp)."""

import io

import pypdf
import pytest

pytestmark = pytest.mark.django_db


def test_poster_qr_decodes_to_the_public_page(master, personas):
    import pypdfium2
    import zxingcpp

    kel = master["wb"]
    kel.address = "Jl. Jenderal Sudirman No. 1"
    kel.phone = "0421-21234"
    kel.save()
    r = personas.client("wb.koordinator").get("/publik/poster/wb/")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(r.content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    text = " ".join(reader.pages[0].extract_text().split())
    for words in ("Jl. Jenderal Sudirman No. 1", "0421-21234", "Senin - Jumat 08.00 - 16.00"):
        assert words in text, text
    assert "Laporkan ke Posko Pengaduan LBK-KK Kelurahan Watang Bacukiki" in text
    image = pypdfium2.PdfDocument(r.content)[0].render(scale=2).to_pil()
    urls = [x.text for x in zxingcpp.read_barcodes(image)]
    assert urls == ["https://posko.example.id/layanan/wb/"]
    # The page it points to is the public form.
    from django.test import Client

    assert Client().get("/layanan/wb/").status_code == 200
    # Only kelurahan-wide roles of that kelurahan print it.
    assert personas.client("ws.koordinator").get("/publik/poster/wb/").status_code == 404
    assert personas.client("wb.relawan").get("/publik/poster/wb/").status_code == 404
