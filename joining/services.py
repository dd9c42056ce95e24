"""The writes of joining and of the guided setup. Each checks who may make it here (joining/
access.py), whatever door the request came through, and refuses with reasons in plain words."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Kelurahan, Membership, Role, User
from places import loader
from places.models import KotaEmblem, Village

from . import access
from .models import SetupStep

SHORT_CODE = re.compile(r"^[A-Z]{2,6}$")


class Refused(Exception):
    def __init__(self, reasons):
        super().__init__("; ".join(str(r) for r in reasons))
        self.reasons = [str(r) for r in reasons]


def find_village(typed: str) -> Village:
    """The kelurahan/desa of the official list with this region code, or Refused."""
    code = loader.normalize_code(typed)
    if not code:
        raise Refused(
            [
                _(
                    "A region code of a kelurahan or desa has 10 digits, e.g. 73.72.03.1003 "
                    "(province, kota/kabupaten, kecamatan, kelurahan/desa)."
                )
            ]
        )
    village = Village.objects.select_related("kecamatan__kota__province").filter(pk=code).first()
    if village is None:
        raise Refused(
            [
                _(
                    "The region code %(code)s is not in the official list (Kepmendagri "
                    "300.2.2-2138/2025) loaded in the app."
                )
                % {"code": code}
            ]
        )
    return village


def join_place(actor: User, *, region_code: str, short_code: str, coordinator: str = ""):
    """Add a kelurahan or desa by its region code: its names, kind and time zone come from the
    list. `coordinator`, a username, gets the first coordinator membership."""
    village = find_village(region_code)
    kota = village.kecamatan.kota
    if not access.covers_kota(actor, kota.code):
        raise Refused([_("Your admin scope does not cover %(kota)s.") % {"kota": kota}])
    reasons = []
    if Kelurahan.objects.filter(region=village).exists():
        reasons.append(
            _("%(place)s has already joined.")
            % {"place": f"{village.get_kind_display()} {village.name}"}
        )
    short = (short_code or "").strip().upper()
    if not SHORT_CODE.match(short):
        reasons.append(_("The short code has 2 to 6 letters, e.g. WS."))
    elif Kelurahan.objects.filter(code=short).exists():
        reasons.append(_("The short code %(code)s is taken by another place.") % {"code": short})
    person = None
    if coordinator:
        person = User.objects.filter(username=coordinator.strip(), is_active=True).first()
        if person is None:
            reasons.append(
                _("There is no active account with the username %(u)s.")
                % {"u": coordinator.strip()}
            )
        elif person.pk == actor.pk:
            reasons.append(_("Nobody gives a membership to themselves."))
    if reasons:
        raise Refused(reasons)
    try:
        with transaction.atomic():
            kel = Kelurahan.objects.create(
                name=village.name,
                kind=village.kind,
                region=village,
                code=short,
                kecamatan=village.kecamatan.name,
                kota=str(kota),
                kota_code=kota.code,
                province=kota.province.name,
                time_zone=loader.zone_of(village.code),
            )
            if person is not None:
                Membership.objects.create(
                    user=person, kelurahan=kel, role=Role.KOORDINATOR, title="Koordinator LBK-KK"
                )
    except IntegrityError:
        # The same form sent twice, or two admins at once: the second finds the first.
        raise Refused([_("%(place)s has already joined.") % {"place": village.name}]) from None
    return kel


def mark_done(kelurahan: Kelurahan, step: str, actor: User) -> None:
    SetupStep.objects.get_or_create(kelurahan=kelurahan, step=step, defaults={"done_by": actor})


def store_emblem(actor: User, kota_code: str, uploaded) -> KotaEmblem:
    """The kota's emblem through the attachments' checks: PNG or JPEG by content (no SVG),
    size limit, metadata removed; kept in the default storage."""
    from attachments.validation import clean_upload

    if not access.may_upload_emblem(actor, kota_code):
        raise Refused([_("Only an admin of the kota replaces its emblem.")])
    try:
        clean = clean_upload(uploaded, settings.ATTACHMENT_MAX_BYTES)
    except ValidationError as e:
        raise Refused(e.messages) from None
    if clean.content_type not in ("image/png", "image/jpeg"):
        raise Refused([_("The emblem must be a PNG or JPEG picture.")])
    with transaction.atomic():
        emblem = KotaEmblem.objects.select_for_update().filter(kota_id=kota_code).first()
        if emblem is None:
            if not access.covers_kota(actor, kota_code) and not access.sees_emblem(
                actor, kota_code
            ):
                raise Refused([_("Only an admin of the kota replaces its emblem.")])
            emblem = KotaEmblem(kota_id=kota_code)
        elif not access.covers_kota(actor, kota_code):
            raise Refused([_("Only an admin of the kota replaces its emblem.")])
        emblem.content_type = clean.content_type
        emblem.sha256 = clean.sha256
        emblem.uploaded_by = actor
        ext = "png" if clean.content_type == "image/png" else "jpg"
        emblem.file.save(f"{kota_code}.{ext}", ContentFile(clean.content), save=False)
        emblem.save()
    return emblem
