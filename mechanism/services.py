"""The only code that writes mechanism versions. Each function takes the acting user, checks
who may act and the version's state inside a transaction on the locked row (a form sent by hand,
twice or late is refused the same way) and writes a change-log row per changed field.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency

from . import access
from .models import ChangeLog, Version, allowed_units

# The fields a draft's editor changes, in the order the change log lists them.
SCALAR_FIELDS = ("reminder_lead_hours", "approvers", "contact_points", "local_rules", "title")
COPIED_FIELDS = (*SCALAR_FIELDS, "deadlines", "service_hours")


class Refused(Exception):  # noqa: N818 (as the engine's TransitionRefused)
    """An action refused: `reasons` say why (translated); nothing was written."""

    def __init__(self, *reasons: str) -> None:
        self.reasons = [str(r) for r in reasons]
        super().__init__("; ".join(self.reasons))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def _log(version: Version, actor, at, field: str, old: Any, new: Any) -> None:
    ChangeLog.objects.create(
        version=version, by=actor, at=at, field=field, old=_text(old), new=_text(new)
    )


def _locked(version_id: int) -> Version:
    return Version.objects.select_for_update().select_related("kelurahan").get(pk=version_id)


def _not_editable(version: Version) -> Refused:
    return Refused(
        _(
            "Version %(n)s is %(state)s: it can no longer be changed. Make a new draft from it "
            "instead."
        )
        % {"n": version.number, "state": version.get_state_display().lower()}
    )


def validate_deadlines(deadlines: dict) -> list[str]:
    """Reasons a set of deadlines is refused: an amount below 1, or a unit the clock may not
    count in (working days only for assign, plan, visit, referral decision, agency
    acknowledgement and closure decision; the emergency clocks in hours)."""
    from cases import clocks as case_clocks
    from cases.engine import tables

    known = {c.key for t in tables() for c in t.clocks}
    known |= {f"{c.key}.emergency" for t in tables() for c in t.clocks if c.emergency_hours}
    reasons = []
    for key, value in deadlines.items():
        label = case_clocks.presenter(key.split(".")[0]).label
        if key not in known:
            reasons.append(_("Unknown clock: %(key)s.") % {"key": key})
            continue
        try:
            amount, unit = int(value["amount"]), str(value.get("unit") or "hours")
        except (KeyError, TypeError, ValueError):
            reasons.append(_("%(clock)s: the time limit is not a number.") % {"clock": label})
            continue
        if amount < 1:
            reasons.append(_("%(clock)s: the time limit must be at least 1.") % {"clock": label})
        if unit not in allowed_units(key):
            reasons.append(
                _("%(clock)s: this clock cannot count in %(unit)s.")
                % {"clock": label, "unit": unit.replace("_", " ")}
            )
    return reasons


def create_draft(*, kelurahan, actor, check: bool = True) -> Version:
    """A new draft, copied from the place's newest version (defaults when there is none). A
    place has at most one draft at a time. check=False: the caller checked who acts (a
    role-play facilitator applying a correction note, roleplay.services)."""
    if check and not access.can_edit(actor, kelurahan.pk):
        raise Refused(_("You may not change the mechanism of this kelurahan."))
    now = timezone.now()
    try:
        with transaction.atomic():
            rows = list(
                Version.objects.select_for_update().filter(kelurahan=kelurahan).order_by("-number")
            )
            if any(v.state == Version.State.DRAFT for v in rows):
                raise Refused(_("There is already a draft: edit that one."))
            base = rows[0] if rows else None
            version = Version(
                kelurahan=kelurahan,
                number=(base.number + 1) if base else 1,
                based_on=base,
                created_by=actor,
                created_at=now,
            )
            if base is not None:
                for name in COPIED_FIELDS:
                    setattr(version, name, getattr(base, name))
            version.save()
            if base is not None:
                version.handover_agencies.set(base.handover_agencies.all())
            _log(version, actor, now, "state", "", Version.State.DRAFT)
    except IntegrityError as e:  # two drafts at once: the other one won
        raise Refused(_("There is already a draft: edit that one.")) from e
    return version


def _set_scalars(version, actor, now, data) -> list[str]:
    changed = []
    for name in SCALAR_FIELDS:
        if name in data and getattr(version, name) != data[name]:
            _log(version, actor, now, name, getattr(version, name), data[name])
            setattr(version, name, data[name])
            changed.append(name)
    return changed


def _set_maps(version, actor, now, data) -> list[str]:
    """Deadlines and service hours: one change-log row per key that changed."""
    changed = []
    for name in ("deadlines", "service_hours"):
        if name not in data:
            continue
        old, new = getattr(version, name) or {}, data[name] or {}
        for key in sorted(set(old) | set(new), key=str):
            if old.get(key) != new.get(key):
                _log(version, actor, now, f"{name}.{key}", old.get(key), new.get(key))
        if old != new:
            setattr(version, name, new)
            changed.append(name)
    return changed


def _set_agencies(version, actor, now, agency_ids) -> None:
    old_ids = set(version.handover_agencies.values_list("pk", flat=True))
    new_ids = set(agency_ids)
    if old_ids == new_ids:
        return
    names = dict(Agency.objects.filter(pk__in=old_ids | new_ids).values_list("pk", "name"))
    old_names = ", ".join(sorted(names[i] for i in old_ids if i in names))
    new_names = ", ".join(sorted(names[i] for i in new_ids if i in names))
    _log(version, actor, now, "handover_agencies", old_names, new_names)
    version.handover_agencies.set(new_ids)


def update_draft(*, version_id: int, actor, data: dict, check: bool = True) -> Version:
    """Change a draft: `data` holds any of SCALAR_FIELDS, "deadlines", "service_hours" and
    "handover_agencies" (agency ids). Refused unless the version is a draft."""
    now = timezone.now()
    with transaction.atomic():
        version = _locked(version_id)
        if check and not access.can_edit(actor, version.kelurahan_id):
            raise Refused(_("You may not change the mechanism of this kelurahan."))
        if not version.editable:
            raise _not_editable(version)
        reasons = validate_deadlines(data.get("deadlines") or {})
        if reasons:
            raise Refused(*reasons)
        changed = _set_scalars(version, actor, now, data) + _set_maps(version, actor, now, data)
        if changed:
            version.save(update_fields=changed)
        if "handover_agencies" in data:
            _set_agencies(version, actor, now, data["handover_agencies"])
    return version


def start_trial(*, version_id: int, actor) -> Version:
    """A draft goes on trial: it governs the place's new real cases until a version is enacted,
    and role play tries it out. An earlier version on trial is superseded."""
    now = timezone.now()
    with transaction.atomic():
        version = _locked(version_id)
        if not access.can_edit(actor, version.kelurahan_id):
            raise Refused(_("You may not change the mechanism of this kelurahan."))
        if version.state != Version.State.DRAFT:
            raise Refused(_("Only a draft can start a trial."))
        for old in Version.objects.select_for_update().filter(
            kelurahan_id=version.kelurahan_id, state=Version.State.TRIAL
        ):
            old.state, old.superseded_at = Version.State.SUPERSEDED, now
            old.save(update_fields=["state", "superseded_at"])
            _log(old, actor, now, "state", Version.State.TRIAL, Version.State.SUPERSEDED)
        version.state, version.trial_at = Version.State.TRIAL, now
        version.save(update_fields=["state", "trial_at"])
        _log(version, actor, now, "state", Version.State.DRAFT, Version.State.TRIAL)
    return version


def _enact_refusals(version, sk_number, sk_date, title, now) -> list[str]:
    reasons = []
    if version.state not in (Version.State.DRAFT, Version.State.TRIAL):
        reasons.append(_("Only a draft or a version on trial can be enacted."))
    if not sk_number:
        reasons.append(_("Fill in the number of the SK."))
    if not sk_date:
        reasons.append(_("Fill in the date of the SK."))
    elif sk_date > timezone.localdate(now, version.kelurahan.tzinfo):
        reasons.append(_("The date of the SK cannot be in the future."))
    if not title:
        reasons.append(_("Fill in the title of the SK (tentang ...)."))
    return reasons


def _supersede_older(version, actor, now) -> None:
    """The version enacted before, and versions on trial older than this one."""
    older = (
        Version.objects.select_for_update()
        .filter(kelurahan_id=version.kelurahan_id)
        .exclude(pk=version.pk)
    )
    for old in older:
        if old.state == Version.State.ENACTED or (
            old.state == Version.State.TRIAL and old.number < version.number
        ):
            _log(old, actor, now, "state", old.state, Version.State.SUPERSEDED)
            old.state, old.superseded_at = Version.State.SUPERSEDED, now
            old.save(update_fields=["state", "superseded_at"])


def _store_scan(version, actor, now, scan) -> None:
    ext = scan.name.rsplit(".", 1)[-1]
    name = f"mechanism/{version.kelurahan.code}/sk-v{version.number}.{ext}"
    version.scan.name = version.scan.storage.save(name, ContentFile(scan.content))
    version.scan_sha256 = scan.sha256
    _log(version, actor, now, "scan", "", scan.name)


def enact(
    *,
    version_id: int,
    actor,
    sk_number: str,
    sk_date: datetime.date,
    title: str,
    scan=None,
) -> Version:
    """The head of the place signed the SK: the version is enacted with its number, date and
    title (and the scan, already checked by attachments.validation.clean_upload); the version
    enacted before is superseded, and so are versions on trial older than this one. Cases
    already registered keep the version they recorded."""
    now = timezone.now()
    sk_number, title = (sk_number or "").strip(), (title or "").strip()
    with transaction.atomic():
        version = _locked(version_id)
        if not access.can_enact(actor, version.kelurahan_id):
            raise Refused(
                _("Only the %(head)s enacts the mechanism.")
                % {"head": version.kelurahan.head_title}
            )
        reasons = _enact_refusals(version, sk_number, sk_date, title, now)
        if reasons:
            raise Refused(*reasons)
        _supersede_older(version, actor, now)
        before = version.state
        name = actor.get_full_name() or actor.username
        for field, value in (
            ("sk_number", sk_number),
            ("sk_date", sk_date),
            ("title", title),
            ("signer_name", name),
        ):
            if getattr(version, field) != value:
                _log(version, actor, now, field, getattr(version, field), value)
                setattr(version, field, value)
        version.signed_by = actor
        version.state, version.enacted_at = Version.State.ENACTED, now
        if scan is not None:
            _store_scan(version, actor, now, scan)
        version.save()
        _log(version, actor, now, "state", before, Version.State.ENACTED)
    return version
