"""Attachments: type by content, size limit, sanitised names, no GPS, access-checked download."""

import hashlib
import io
import uuid

import pytest
from django.test import RequestFactory
from django.urls import reverse
from PIL import Image, PngImagePlugin

from attachments.models import Attachment
from attachments.validation import clean_name
from cases.access import FULL, INTAKE
from cases.models import AccessLog, CaseEvent
from cases.page import sections_for
from tests.factories import make_case
from tests.queries import count_get
from tests.uploads import PDF_BYTES, gps_exif, jpeg_bytes, png_bytes, upload

FULL_PERSONAS = ["ws.pendamping", "ws.koordinator", "ws.kasikesra", "ws.lurah"]
REFUSED_PERSONAS = [
    "ws.relawan",  # registered the case: intake data only
    "ws.pendamping2",  # not assigned
    "wb.relawan",
    "wb.pendamping",
    "wb.koordinator",
    "wb.kasikesra",
    "wb.lurah",
    "dp3a.petugas",
    "uptdppa.petugas",
    "dinsos.petugas",
    "admin",
]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def case(personas, master):
    return make_case(personas, "assessment")


def _upload(client, the_case, f, **extra):
    # Each upload is a new form (its own token, as {% form_guard %} renders it).
    return client.post(
        reverse("attachments:case", kwargs={"case_pk": the_case.pk}),
        {"file": f, "description": "Foto luka", "_lbk_once": uuid.uuid4().hex, **extra},
    )


def test_gps_and_camera_data_removed_from_photo(personas, case, media):
    original = jpeg_bytes(exif=gps_exif())
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the test photo has GPS
    r = _upload(personas.client("ws.pendamping"), case, upload("IMG_0001.JPG", original))
    assert r.status_code == 302
    att = Attachment.objects.get(case=case)
    stored = att.file.read()
    att.file.close()
    img = Image.open(io.BytesIO(stored))
    exif = img.getexif()
    assert not exif.get_ifd(0x8825)
    assert 0x8825 not in exif and 0x0110 not in exif
    assert b"PoskoCam" not in stored
    assert img.format == "JPEG" and img.size == (32, 24)
    assert att.sha256 == hashlib.sha256(stored).hexdigest()
    assert att.size == len(stored)
    assert att.content_type == "image/jpeg"
    assert att.original_name == "IMG_0001.jpg"
    assert att.kelurahan_id == case.kelurahan_id
    assert att.uploaded_by == personas["ws.pendamping"]
    # Stored under MEDIA_ROOT with a random name, not the uploaded one.
    assert (media / att.file.name).exists()
    assert "IMG_0001" not in att.file.name
    ev = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.ATTACHMENT)
    assert ev.data == {"attachment": att.pk} and ev.actor == personas["ws.pendamping"]


def test_png_text_chunks_removed(personas, case, media):
    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "-4.0138,119.6250")
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG", pnginfo=info)
    r = _upload(personas.client("ws.koordinator"), case, upload("scan.png", buf.getvalue()))
    assert r.status_code == 302
    att = Attachment.objects.get(case=case)
    data = att.file.read()
    att.file.close()
    assert b"119.6250" not in data
    assert Image.open(io.BytesIO(data)).info.get("Location") is None


def test_pdf_and_webp_accepted(personas, case, media):
    c = personas.client("ws.koordinator")
    assert _upload(c, case, upload("visum.pdf", PDF_BYTES)).status_code == 302
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "WEBP")
    assert _upload(c, case, upload("foto.webp", buf.getvalue())).status_code == 302
    assert sorted(Attachment.objects.values_list("content_type", flat=True)) == [
        "application/pdf",
        "image/webp",
    ]


@pytest.mark.parametrize(
    "name,content",
    [
        ("foto.jpg", b"<html><script>alert(1)</script></html>"),
        ("foto.jpg", b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'></svg>"),
        ("gambar.svg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
        ("surat.pdf", b"MZ\x90\x00 not a pdf at all"),
        ("halaman.html", b"<!DOCTYPE html><p>hi</p>"),
        ("kosong.jpg", b""),
        ("rusak.jpg", b"\xff\xd8\xff\xe0 broken jpeg"),
    ],
)
def test_refused_by_content_whatever_the_name(personas, case, media, name, content):
    r = _upload(personas.client("ws.koordinator"), case, upload(name, content, "image/jpeg"))
    assert r.status_code == 400
    html = r.content.decode()
    assert "error-summary" in html
    assert any(
        msg in html for msg in ("Jenis berkas ini tidak diterima", "kosong", "tidak dapat dibaca")
    )
    assert not Attachment.objects.exists()
    # What was typed stays in the form.
    assert 'value="Foto luka"' in html


def test_size_limit(personas, case, media, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    big = PDF_BYTES + b"0" * (1024 * 1024)
    r = _upload(personas.client("ws.koordinator"), case, upload("besar.pdf", big))
    assert r.status_code == 400
    assert "Berkas terlalu besar: paling besar 1 MB." in r.content.decode()
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("C:\\Users\\x\\Foto Korban.JPG", "Foto Korban.jpg"),
        ('a<script>"x".jpg', "a_script_x.jpg"),
        ("laporan.pdf.exe", "laporan.pdf.pdf"),
        ("\x00\x1f.jpg", "berkas.jpg"),
        ("x" * 300 + ".jpg", "x" * 100 + ".jpg"),
    ],
)
def test_names_sanitised(raw, expected):
    got = clean_name(raw, "application/pdf" if expected.endswith(".pdf") else "image/jpeg")
    assert got == expected


def test_mass_assignment_of_case_kelurahan_uploader_ignored(personas, case, master, media):
    other = make_case(personas, kel="wb")
    r = _upload(
        personas.client("ws.koordinator"),
        case,
        upload("a.png", png_bytes()),
        case=other.pk,
        kelurahan=master["wb"].pk,
        uploaded_by=personas["admin"].pk,
        sha256="0" * 64,
        content_type="text/html",
    )
    assert r.status_code == 302
    att = Attachment.objects.get()
    assert att.case_id == case.pk and att.kelurahan_id == master["ws"].pk
    assert att.uploaded_by == personas["ws.koordinator"]
    assert att.content_type == "image/png" and att.sha256 != "0" * 64
    assert not Attachment.objects.filter(case=other).exists()


@pytest.fixture
def attachment(personas, case, media):
    _upload(personas.client("ws.pendamping"), case, upload("visum korban.pdf", PDF_BYTES))
    return Attachment.objects.get(case=case)


@pytest.mark.parametrize("username", FULL_PERSONAS)
def test_download_for_full_access_is_logged_attachment(personas, attachment, username):
    before = AccessLog.objects.filter(action="attachment_download").count()
    r = personas.client(username).get(reverse("attachments:download", args=[attachment.pk]))
    assert r.status_code == 200
    assert r["Content-Disposition"].startswith("attachment;")
    assert 'filename="visum korban.pdf"' in r["Content-Disposition"]
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Type"] == "application/pdf"
    assert b"".join(r.streaming_content) == PDF_BYTES
    log = AccessLog.objects.filter(action="attachment_download").order_by("-pk").first()
    assert AccessLog.objects.filter(action="attachment_download").count() == before + 1
    assert log.user == personas[username] and log.case_id == attachment.case_id
    assert log.detail == f"attachment:{attachment.pk}"


@pytest.mark.parametrize("username", REFUSED_PERSONAS)
def test_download_and_upload_refused_with_404(personas, attachment, username, media):
    logged = AccessLog.objects.filter(user=personas[username]).count()  # ws.relawan registered it
    c = personas.client(username)
    assert c.get(reverse("attachments:download", args=[attachment.pk])).status_code == 404
    url = reverse("attachments:case", kwargs={"case_pk": attachment.case_id})
    assert c.get(url).status_code == 404
    assert c.post(url, {"file": upload("x.png", png_bytes())}).status_code == 404
    assert Attachment.objects.count() == 1
    assert AccessLog.objects.filter(user=personas[username]).count() == logged


def test_unknown_attachment_is_404_and_anonymous_goes_to_login(personas, attachment):
    c = personas.client("ws.koordinator")
    assert c.get(reverse("attachments:download", args=[attachment.pk + 999])).status_code == 404
    r = personas.client(None).get(reverse("attachments:download", args=[attachment.pk]))
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


def test_media_url_is_not_served(personas, attachment, settings):
    c = personas.client("ws.koordinator")
    assert c.get(settings.MEDIA_URL + attachment.file.name).status_code == 404


def test_case_page_section_only_for_full_access(personas, attachment):
    case = attachment.case
    rf = RequestFactory()
    for username, level, expected in [
        ("ws.koordinator", FULL, 1),
        ("ws.relawan", INTAKE, 0),
    ]:
        request = rf.get("/")
        request.user = personas[username]
        case.access_level = level
        secs = [s for s in sections_for(request, case) if s.id == "lampiran"]
        assert len(secs) == expected
    # The section's template renders the list and the form.
    from django.template.loader import render_to_string

    request = rf.get("/")
    request.user = personas["ws.koordinator"]
    case.access_level = FULL
    sec = [s for s in sections_for(request, case) if s.id == "lampiran"][0]
    html = render_to_string(sec.template, {"ctx": sec.context}, request=request)
    assert "visum korban.pdf" in html and 'enctype="multipart/form-data"' in html


def test_attachments_page_lists_files(personas, attachment):
    r = personas.client("ws.koordinator").get(
        reverse("attachments:case", kwargs={"case_pk": attachment.case_id})
    )
    html = r.content.decode()
    assert r.status_code == 200
    assert "Lampiran" in html and "visum korban.pdf" in html
    assert reverse("attachments:download", args=[attachment.pk]) in html
    assert "<script" not in html and "style=" not in html


def test_attachments_are_never_deleted(attachment):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        attachment.delete()


def test_case_page_shows_the_section_to_full_access_only(personas, attachment):
    url = reverse("cases:detail", args=[attachment.case_id])
    html = personas.client("ws.pendamping").get(url).content.decode()
    assert 'id="lampiran"' in html and "visum korban.pdf" in html
    assert 'enctype="multipart/form-data"' in html
    intake = personas.client("ws.relawan").get(url)
    assert intake.status_code == 200
    assert 'id="lampiran"' not in intake.content.decode()
    assert "visum korban.pdf" not in intake.content.decode()


def test_attachment_page_queries_do_not_grow_with_files(personas, case, media):
    c = personas.client("ws.koordinator")
    url = reverse("attachments:case", kwargs={"case_pk": case.pk})
    counts = []
    for n in (1, 6):
        while Attachment.objects.filter(case=case).count() < n:
            uploader = "ws.pendamping" if Attachment.objects.count() % 2 else "ws.lurah"
            _upload(personas.client(uploader), case, upload("a.pdf", PDF_BYTES))
        c.get(url)  # warm
        counts.append(count_get(c, url))
    assert counts[0] == counts[1], counts
