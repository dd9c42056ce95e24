"""Files to upload in tests: JPEG (with GPS data in its EXIF), PNG, a minimal PDF."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


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
