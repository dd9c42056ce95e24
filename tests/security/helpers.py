"""Small builders for the security tests (plain ORM; no view of another app is needed)."""

import io
import itertools

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cases.models import Case, CaseEvent, Victim

_seq = itertools.count(1)


def make_case(kelurahan, registered_by, *, companion=None, victim_name="Korban Contoh", **kw):
    # Far above any number the intake service gives in a test, so both can share a kelurahan.
    n = 90000 + next(_seq)
    case = Case.objects.create(
        kelurahan=kelurahan,
        number=f"{kelurahan.code}-2026-{n:04d}-T",
        year=2026,
        seq=n,
        registered_by=registered_by,
        companion=companion,
        **kw,
    )
    Victim.objects.create(case=case, kelurahan=kelurahan, full_name=victim_name)
    CaseEvent.objects.create(
        case=case, kelurahan=kelurahan, kind=CaseEvent.Kind.REGISTERED, actor=registered_by
    )
    return case


def jpeg_bytes(exif=None, size=(32, 24), color=(200, 30, 30)):
    buf = io.BytesIO()
    img = Image.new("RGB", size, color)
    if exif is not None:
        img.save(buf, "JPEG", exif=exif)
    else:
        img.save(buf, "JPEG")
    return buf.getvalue()


def gps_exif():
    """EXIF with a GPS position (Parepare) and a camera model, written by Pillow alone."""
    exif = Image.Exif()
    exif[0x0110] = "PoskoCam 3000"  # Model
    exif[0x0112] = 1  # Orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "S"  # GPSLatitudeRef
    gps[2] = (4.0, 0.0, 50.0)  # GPSLatitude
    gps[3] = "E"  # GPSLongitudeRef
    gps[4] = (119.0, 37.0, 30.0)  # GPSLongitude
    return exif


def png_bytes():
    buf = io.BytesIO()
    Image.new("RGB", (10, 10), (0, 0, 255)).save(buf, "PNG")
    return buf.getvalue()


PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)
