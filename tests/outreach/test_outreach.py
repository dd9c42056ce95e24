"""The outreach-activities log: recorded by coordinators and volunteers, photos through the
attachment checks with the consent tick, never shown to kota-level users; counted in reports."""

import io

from PIL import Image

from outreach.models import Activity, Photo
from tests.uploads import PDF_BYTES, gps_exif, jpeg_bytes, upload

ACTIVITY = {
    "kind": "sosialisasi",
    "held_on": "2026-12-02",
    "place": "Aula kelurahan",
    "topic": "Mencegah kekerasan dalam rumah tangga",
    "facilitator": "Hasnah Lamba",
    "women": "14",
    "men": "9",
    "children": "6",
    "elderly": "2",
    "with_disability": "1",
    "partners": "Puskesmas",
    "notes": '=HYPERLINK("x")',
}


def test_coordinator_and_volunteer_record_others_may_not(personas, settings, tmp_path):
    for who in ("ws.koordinator", "ws.relawan"):
        r = personas.client(who).post("/outreach/new/", {**ACTIVITY, "topic": who})
        assert r.status_code == 302, r.content.decode()[:2000]
    assert Activity.objects.count() == 2
    for who in ("ws.pendamping", "ws.lurah", "kota.analis", "dp3a.petugas", "admin"):
        assert personas.client(who).post("/outreach/new/", ACTIVITY).status_code == 404
    assert Activity.objects.count() == 2
    bad = personas.client("ws.koordinator").post("/outreach/new/", {**ACTIVITY, "children": "40"})
    assert bad.status_code == 200 and Activity.objects.count() == 2


def test_photos_checked_stripped_and_consented(personas, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    c = personas.client("ws.koordinator")
    c.post("/outreach/new/", ACTIVITY)
    a = Activity.objects.get()
    url = f"/outreach/{a.pk}/photos/"
    # without the consent tick: refused
    r = c.post(url, {"file": upload("foto.jpg", jpeg_bytes(exif=gps_exif())), "caption": "x"})
    assert r.status_code == 400 and not Photo.objects.exists()
    # an SVG named .jpg, a PDF: refused
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for f in (upload("foto.jpg", svg), upload("a.pdf", PDF_BYTES)):
        r = c.post(url, {"file": f, "consent": "on"})
        assert r.status_code == 400
    settings.ATTACHMENT_MAX_BYTES = 100
    r = c.post(url, {"file": upload("besar.jpg", jpeg_bytes(size=(400, 400))), "consent": "on"})
    assert r.status_code == 400 and not Photo.objects.exists()
    settings.ATTACHMENT_MAX_BYTES = 10_000_000
    r = c.post(url, {"file": upload("foto.jpg", jpeg_bytes(exif=gps_exif())), "consent": "on"})
    assert r.status_code == 302
    photo = Photo.objects.get()
    assert photo.consent_confirmed and photo.file.name.startswith(f"outreach/{a.kelurahan_id}/")
    body = b"".join(c.get(f"/outreach/photos/{photo.pk}/").streaming_content)
    assert not Image.open(io.BytesIO(body)).getexif()  # location data removed
    # never to kota-level users, agencies or another kelurahan
    for who in ("kota.analis", "uptdppa.petugas", "wb.koordinator"):
        other = personas.client(who)
        assert other.get(f"/outreach/{a.pk}/").status_code == 404
        assert other.get(f"/outreach/photos/{photo.pk}/").status_code == 404
        assert other.get("/outreach/").status_code in (404, 200)
        assert a.topic not in other.get("/outreach/").content.decode()


def test_outreach_counted_in_reports(personas):
    c = personas.client("ws.koordinator")
    c.post("/outreach/new/", ACTIVITY)
    c.post(
        "/outreach/new/",
        {
            **ACTIVITY,
            "kind": "edukasi",
            "women": "3",
            "men": "1",
            "children": "0",
            "elderly": "0",
            "with_disability": "0",
        },
    )
    html = c.get("/reports/outreach/?period=month&year=2026&month=12").content.decode()
    assert "Sosialisasi" in html and "17" in html  # women: 14 + 3
    html = (
        personas.client("kota.analis")
        .get("/reports/outreach/?period=month&year=2026&month=12&place=kota:73.72")
        .content.decode()
    )
    assert "Mencegah kekerasan" not in html and "Aula" not in html
    assert "15" in html  # 17 women, rounded to 5; 2 activities show as <5
    assert "&lt;5" in html
