"""The referral letter as an A4 PDF (LETTER.md), rendered with WeasyPrint by a function that takes
no request, through a url_fetcher that reads only our own static files, and stored once.
"""

import hashlib

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.safestring import mark_safe

from cases.invariants import shown_to_agency
from lbk import pdf


def tanggal(value, tz=None):
    """Indonesian long date (28 November 2026), whatever the user's language; a datetime is read
    in `tz` (the place's zone), else the current time zone."""
    if hasattr(value, "hour"):
        value = timezone.localtime(value, tz)
    with translation.override("id"):
        return date_format(value, "j F Y")


def kota_short(kota):
    for prefix in ("Kota ", "Kabupaten ", "Kab. "):
        if kota.startswith(prefix):
            return kota[len(prefix) :]
    return kota


def effective_shared_fields(referral):
    """What the letter may show: chosen for this referral AND consented for this agency now
    (the disclosure invariant, cases/invariants.py)."""
    return shown_to_agency(referral)


def verification_url(referral):
    return settings.SITE_URL + reverse("referrals:verify", args=[referral.verify_token])


def qr_svg(url):
    # segno's SVG has no viewBox: size it with scale (STACK.md). Scale 2 ~ 2.3 cm at 96 dpi.
    return segno.make(url, error="m").svg_inline(scale=2.4, border=2)


def identity_rows(referral, shown=None):
    """The identity block of the person referred: only what consent allows for the letter
    (`shown`: the shared fields to show; the letter's frozen ones by default)."""
    r = referral
    victim = r.victim
    shown = set(r.letter_shared_fields or []) if shown is None else set(shown)
    tz = r.kelurahan.tzinfo
    on_day = timezone.localdate(r.issued_at or timezone.now(), tz)
    age = victim.age_on(on_day)
    with translation.override("id"):
        sex = victim.get_sex_display() if victim.sex else "-"
        identity = [
            ("Nama", victim.full_name if "full_name" in shown else victim.display_initials),
            ("Jenis kelamin", str(sex)),
            ("Umur", f"{age} tahun" if age is not None else "-"),
        ]
        if "address" in shown:
            addr = victim.address
            if victim.rt or victim.rw:
                addr = f"{addr} RT {victim.rt or '-'}/RW {victim.rw or '-'}".strip()
            identity.append(("Alamat", addr or "-"))
        if "contact" in shown:
            identity.append(("Kontak", victim.phone or victim.safe_contact or "-"))
    return identity


def qr_markup(url):
    """segno's own SVG of a URL we built (the token is URL-safe base64): safe to embed."""
    return mark_safe(qr_svg(url))  # noqa: S308  # nosec B308 B703


def letter_context(referral):
    r = referral
    kel = r.kelurahan
    shown = set(r.letter_shared_fields or [])
    identity = identity_rows(r)
    companion = r.case.companion or r.requested_by or r.created_by
    head = kel.head_title.upper()
    tz = kel.tzinfo
    return {
        "r": r,
        "kel": kel,
        "static": pdf.STATIC_PREFIX,
        "kop_kota": f"PEMERINTAH {kel.kota.upper()}",
        "kop_kecamatan": f"{kel.kecamatan_word.upper()} {kel.kecamatan.upper()}",
        "kop_kelurahan": f"{kel.get_kind_display().upper()} {kel.name.upper()}",
        "place_date": f"{kota_short(kel.kota)}, {tanggal(r.issued_at or timezone.now(), tz)}",
        "hal": "Pelimpahan Penanganan Kasus" if r.kind == "pelimpahan" else "Rujukan Kasus",
        "is_handover": r.kind == "pelimpahan",
        "identity": identity,
        "narrative": r.case.narrative if "narrative" in shown else "",
        "services": r.services_list(),
        "companion_name": companion.get_full_name() or companion.username,
        "companion_phone": companion.phone,
        "is_emergency": r.is_emergency and r.ratified_at is not None,
        "emergency_date": tanggal(r.emergency_at, tz) if r.emergency_at else "",
        "office_head": f"{head} {kel.name.upper()}",
        "on_behalf": r.signer_on_behalf,
        "acting": {"plh": "Plh.", "plt": "Plt."}.get(r.signer_acting, ""),
        "signer_office": (r.signer_title or "Kasi Kesra").upper(),
        "copies": [c.strip() for c in (kel.letter_copies or "Arsip").splitlines() if c.strip()],
        "qr": qr_markup(verification_url(r)),
        "verify_url": verification_url(r),
        "is_roleplay": r.letter_roleplay,
        **decree(kel),
    }


def decree(kel):
    """What the letter's opening cites: the enacted mechanism's SK (number, date, title, the
    head's title and name), or nothing while no version is enacted (the letter then cites no
    decree, and carries no draft mark)."""
    import mechanism

    version = mechanism.enacted(kel)
    if version is None or not version.is_enacted:
        return {"sk": "", "sk_date": "", "sk_title": "", "sk_head": ""}
    return {
        "sk": version.sk_number,
        "sk_date": tanggal(version.sk_date) if version.sk_date else "",
        "sk_title": version.title,
        "sk_head": f"{kel.head_title} {kel.name}",
    }


def render_letter_pdf(referral, *, fetched=None):
    """The letter's PDF bytes. `fetched`, if a list, collects every URL the renderer asked for."""
    ctx = letter_context(referral)
    with translation.override("id"):
        html = render_to_string("referrals/letter_pdf.html", ctx)
        doc = pdf.render_document(html, fetched=fetched)
        if len(doc.pages) > 1:
            # Page numbers only when there is more than one page.
            html = render_to_string("referrals/letter_pdf.html", {**ctx, "numbered": True})
            doc = pdf.render_document(html, fetched=fetched)
    return pdf.write_pdf(doc)


def store_letter(referral, *, data=None):
    """Store the letter (rendered now unless `data` holds its PDF) once, through the default
    storage (private MEDIA_ROOT or the bucket)."""
    if data is None:
        data = render_letter_pdf(referral)
    r = referral
    name = f"letters/{r.letter_year}/{r.kelurahan.code}/{r.pk}-{r.verify_token[:8]}.pdf"
    saved = default_storage.save(name, ContentFile(data))
    referral.pdf.name = saved
    referral.pdf_sha256 = hashlib.sha256(data).hexdigest()
    referral.save(update_fields=["pdf", "pdf_sha256"])
    return data


def read_letter(referral):
    """The stored bytes, checked against the recorded SHA-256 (an issued letter never changes)."""
    with default_storage.open(referral.pdf.name, "rb") as fh:
        data = fh.read()
    if hashlib.sha256(data).hexdigest() != referral.pdf_sha256:
        raise ValidationError("stored letter does not match its SHA-256")
    return data
