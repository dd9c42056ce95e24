"""What an uploaded file is, by its content: never by its name or the browser's content type.

Accepted: JPEG, PNG, WebP photos (decoded and re-encoded by Pillow without metadata, so GPS
position and camera data are gone) and PDF. Everything else is refused, SVG and HTML included,
whatever the file is named.
"""

import hashlib
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

# A photo larger than this is refused before decoding (decompression bombs).
MAX_PIXELS = 60_000_000

EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "application/pdf": "pdf",
}


def sniff(head: bytes):
    """The content type from the first bytes, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def clean_name(name, content_type):
    """A safe display/download name: no path, no control characters, the true extension."""
    name = unicodedata.normalize("NFKC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] not in ("C", "Z") or c == " ")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = re.sub(r"[^\w\-. ()]+", "_", stem).strip(" ._")[:100] or "berkas"
    return f"{stem}.{EXTENSIONS[content_type]}"


@dataclass
class CleanFile:
    content: bytes
    content_type: str
    name: str
    sha256: str


def strip_image(data: bytes, content_type: str) -> bytes:
    """Decode and re-encode the photo without EXIF/XMP/text chunks (GPS position included)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            if img.width * img.height > MAX_PIXELS:
                raise ValidationError(_("The photo is too large."), code="too_large")
            img.load()
            # Keep the photo upright once its orientation tag is gone.
            img = ImageOps.exif_transpose(img)
    except ValidationError:
        raise
    except Exception as exc:  # Pillow raises many kinds of errors on broken files
        raise ValidationError(_("The photo cannot be read."), code="broken") from exc
    out = io.BytesIO()
    if content_type == "image/jpeg":
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        img.save(out, "JPEG", quality=90, optimize=True)
    elif content_type == "image/png":
        img.save(out, "PNG", optimize=True)
    else:
        img.save(out, "WEBP", quality=90)
    return out.getvalue()


def clean_upload(uploaded, max_bytes) -> CleanFile:
    if uploaded.size > max_bytes:
        raise ValidationError(
            _("The file is too large: at most %(mb)s MB."),
            code="too_large",
            params={"mb": max_bytes // (1024 * 1024)},
        )
    data = b"".join(uploaded.chunks())
    if len(data) > max_bytes:
        raise ValidationError(
            _("The file is too large: at most %(mb)s MB."),
            code="too_large",
            params={"mb": max_bytes // (1024 * 1024)},
        )
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    content_type = sniff(data[:16])
    if content_type is None:
        raise ValidationError(
            _("This kind of file is not accepted. Send a photo (JPEG, PNG, WebP) or a PDF."),
            code="type",
        )
    if content_type.startswith("image/"):
        data = strip_image(data, content_type)
    return CleanFile(
        content=data,
        content_type=content_type,
        name=clean_name(uploaded.name, content_type),
        sha256=hashlib.sha256(data).hexdigest(),
    )
