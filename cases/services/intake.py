"""Registering and correcting case records: the only code that writes a case's intake data.

- `case_register`: one transaction; the number is allocated only here (abandoned forms use up
  no numbers), per kelurahan, year and series, gapless under a row lock; the first timeline entry;
  the duplicate check. A double submit of the same form (same intake token) gives the same case.
- `case_update`: corrections with optimistic locking (the form carries the version it was
  loaded with); every change lands in the change history (django-simple-history).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import mechanism
from lbk.history import set_history_user

from .. import numbering
from ..models import (
    AccessLog,
    Case,
    CaseEvent,
    DuplicateFlag,
    Perpetrator,
    PerpetratorLink,
    Victim,
)
from ..search import normalize_name
from ..vocab import Status, age_group_at_registration

if TYPE_CHECKING:
    from django.db.models.fields.related_descriptors import RelatedManager

    from accounts.models import Kelurahan, User
    from roleplay.models import Session as RoleplaySession

    from ..engine import Ctx

# The submitted fields of one case, victim or perpetrator (checked against the *_FIELDS below).
Fields: TypeAlias = Mapping[str, Any]
# A victim or perpetrator row of the edit form: (its pk, or None for a new one; its fields).
Row: TypeAlias = tuple[int | str | None, Fields]
# (perpetrator index, victim index, relation, lives together), indexes into the rows.
Link: TypeAlias = tuple[int, int, str | None, bool]
# The case's people whose rows the edit form updates and adds.
PersonT = TypeVar("PersonT", Victim, Perpetrator)

CASE_FIELDS = frozenset(
    {
        "is_violence",
        "is_social_protection",
        "channel",
        "received_at",
        "incident_date",
        "incident_date_approximate",
        "incident_place",
        "incident_online",
        "incident_rt",
        "incident_rw",
        "narrative",
        "danger_now",
        "injured_needs_care",
        "violence_types",
        "tpks_types",
        "gbv_answers",
        "gbv_type",
        "social_problems",
        "reporter_is_victim",
        "reporter_anonymous",
        "reporter_name",
        "reporter_relation",
        "reporter_contact",
        "reporter_wants_feedback",
    }
)
VICTIM_FIELDS = frozenset(
    {
        "full_name",
        "initials",
        "sex",
        "birth_date",
        "estimated_age",
        "nik",
        "address",
        "rt",
        "rw",
        "phone",
        "safe_contact",
        "marital_status",
        "education",
        "occupation",
        "vulnerable_groups",
        "dtsen_status",
        "dtsen_decile",
        "assistance",
        "disability_types",
        "wg_seeing",
        "wg_hearing",
        "wg_walking",
        "wg_cognition",
        "wg_selfcare",
        "wg_communication",
        "accommodations",
    }
)
PERPETRATOR_FIELDS = frozenset({"name", "sex", "age", "age_band", "is_child"})


class StaleEdit(Exception):
    """Someone else saved the case after this form was loaded."""

    message = _(
        "Someone else saved this case after you opened the form. Your changes were not saved: "
        "check the current record (open it in a new tab), then save again. "
        "What you typed is still below."
    )


@dataclass
class Registered:
    case: Case
    created: bool


def _pick(data: Fields, allowed: frozenset[str]) -> dict[str, Any]:
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    return dict(data)


def case_number(kelurahan: Kelurahan, year: int, seq: int, is_roleplay: bool) -> str:
    series = f"{kelurahan.code}-SIM" if is_roleplay else kelurahan.code
    return f"{series}-{year}-{seq:04d}"


def case_register(
    *,
    kelurahan: Kelurahan,
    actor: User,
    case_data: Fields,
    victims: Sequence[Fields],
    perpetrators: Iterable[Fields] = (),
    links: Iterable[Link] = (),
    token: uuid.UUID | None = None,
    is_roleplay: bool = False,
    ip: str | None = None,
    session: RoleplaySession | None = None,
    scenario: str = "",
) -> Registered:
    """Register a complaint as a Case in state `received`.

    victims / perpetrators: lists of field dicts, in order; links: (perpetrator index, victim
    index, relation, lives_together). Returns Registered(case, created); created is False when the
    same intake token was already saved (a double submit).
    """
    if not victims:
        raise ValueError("a case needs at least one victim")
    if token:
        existing = Case.objects.filter(intake_token=token).first()
        if existing is not None:
            return Registered(existing, False)
    try:
        with transaction.atomic():
            case = _register(
                kelurahan=kelurahan,
                actor=actor,
                case_data=_pick(case_data, CASE_FIELDS),
                victims=[_pick(v, VICTIM_FIELDS) for v in victims],
                perpetrators=[_pick(p, PERPETRATOR_FIELDS) for p in perpetrators],
                links=links,
                token=token,
                is_roleplay=is_roleplay or session is not None,
                ip=ip,
                session=session,
                scenario=scenario,
            )
    except IntegrityError:
        # A concurrent double submit of the same form: its twin won; everything here (the
        # number included) was rolled back, so the series stays gapless.
        if token:
            existing = Case.objects.filter(intake_token=token).first()
            if existing is not None:
                return Registered(existing, False)
        raise
    return Registered(case, True)


def _register(
    *,
    kelurahan: Kelurahan,
    actor: User,
    case_data: dict[str, Any],
    victims: list[dict[str, Any]],
    perpetrators: list[dict[str, Any]],
    links: Iterable[Link],
    token: uuid.UUID | None,
    is_roleplay: bool,
    ip: str | None,
    session: RoleplaySession | None = None,
    scenario: str = "",
) -> Case:
    now = timezone.now()
    # The year of the number is the place's own (WIB, WITA or WIT).
    year = timezone.localtime(now, kelurahan.tzinfo).year
    seq = numbering.take_next(numbering.CASE, kelurahan.pk, year, is_roleplay)
    case = Case(
        kelurahan=kelurahan,
        # A role-play session tries its own version (a draft too).
        mechanism=session.version if session else mechanism.current(kelurahan, for_sim=is_roleplay),
        roleplay_session=session,
        scenario=scenario,
        year=year,
        seq=seq,
        number=case_number(kelurahan, year, seq, is_roleplay),
        is_roleplay=is_roleplay,
        status=Status.RECEIVED,
        registered_at=now,
        registered_by=actor,
        intake_token=token,
        status_changed_at=now,
        **case_data,
    )
    if not case_data.get("received_at"):
        case.received_at = now
    set_history_user(case, actor).save()
    victim_objs = []
    for i, data in enumerate(victims, start=1):
        v = Victim(case=case, kelurahan=kelurahan, position=i, **data)
        _derive(v, case)
        set_history_user(v, actor).save()
        victim_objs.append(v)
    perp_objs = []
    for i, data in enumerate(perpetrators, start=1):
        p = Perpetrator(case=case, kelurahan=kelurahan, position=i, **data)
        set_history_user(p, actor).save()
        perp_objs.append(p)
    _write_links(perp_objs, victim_objs, links, actor)
    CaseEvent.objects.create(
        case=case,
        kelurahan=kelurahan,
        kind=CaseEvent.Kind.REGISTERED,
        to_status=Status.RECEIVED,
        actor=actor,
        at=now,
        data={"victims": len(victim_objs), "perpetrators": len(perp_objs)},
    )
    check_duplicates(case=case, actor=actor, ip=ip, victims=victim_objs)
    # The dashboard's count of received cases, and the first deadlines (assign; first contact
    # when it is an emergency), from now.
    from .. import state_counts
    from ..clocks import sync_case

    state_counts.move(kelurahan.pk, is_roleplay, "", Status.RECEIVED)

    sync_case(case, now=now, reason="registered")
    # What other apps keep in the same transaction (the reports' monthly figures).
    from .. import engine

    engine.emit("case.registered", None, case=case)  # type: ignore[arg-type]
    return case


def _write_links(
    perps: Sequence[Perpetrator], victims: Sequence[Victim], links: Iterable[Link], actor: User
) -> None:
    """Create or update links; a perpetrator linked to nobody is linked to every victim (an
    alleged perpetrator is always alleged against someone of the case). Links are never removed."""
    wanted: dict[tuple[int, int], tuple[str, bool]] = {}
    for p_idx, v_idx, relation, together in links:
        wanted[(p_idx, v_idx)] = (relation or "", bool(together))
    for p_idx in range(len(perps)):
        if not any(k[0] == p_idx for k in wanted):
            for v_idx in range(len(victims)):
                wanted[(p_idx, v_idx)] = ("", False)
    existing = {
        (link.perpetrator_id, link.victim_id): link
        for link in PerpetratorLink.objects.filter(
            perpetrator__in=[p for p in perps if p.pk], victim__in=[v for v in victims if v.pk]
        )
    }
    for (p_idx, v_idx), (relation, together) in sorted(wanted.items()):
        perp, victim = perps[p_idx], victims[v_idx]
        link = existing.get((perp.pk, victim.pk))
        if link is None:
            link = PerpetratorLink(perpetrator=perp, victim=victim, kelurahan_id=perp.kelurahan_id)
        elif link.relation == relation and link.lives_together == together:
            continue
        link.relation = relation
        link.lives_together = together
        set_history_user(link, actor).save()


def check_duplicates(
    *, case: Case, actor: User, ip: str | None = None, victims: Iterable[Victim] | None = None
) -> list[int]:
    """Flag possible duplicates in the same kelurahan (same NIK, or same name and birth date) on
    both cases. Nothing is shown while typing; each check is logged without personal data."""
    victims = list(victims if victims is not None else case.victims.all())
    found = _possible_duplicates(case, victims)
    flags = []
    for other_id, reasons in found.items():
        for reason in reasons:
            flags.append(
                DuplicateFlag(
                    case=case, other_id=other_id, kelurahan_id=case.kelurahan_id, reason=reason
                )
            )
            flags.append(
                DuplicateFlag(
                    case_id=other_id, other=case, kelurahan_id=case.kelurahan_id, reason=reason
                )
            )
    if flags:
        DuplicateFlag.objects.bulk_create(flags, ignore_conflicts=True)
    AccessLog.objects.create(
        user=actor,
        case=case,
        kelurahan_id=case.kelurahan_id,
        action="duplicate_check",
        ip=ip,
        detail=f"possible duplicates: {len(found)}",
    )
    return sorted(found)


def _possible_duplicates(case: Case, victims: list[Victim]) -> dict[int, set[str]]:
    """{other case id: why ("nik", "name_birth")} for the victims of other cases of the same
    kelurahan (and the same series: real or role play) who look like one of `victims`."""
    conditions = []
    for v in victims:
        if v.nik:
            conditions.append(Q(nik=v.nik))
        if v.full_name and v.birth_date:
            conditions.append(Q(search_name=normalize_name(v.full_name), birth_date=v.birth_date))
    found: dict[int, set[str]] = {}
    if not conditions:
        return found
    q = conditions[0]
    for c in conditions[1:]:
        q |= c
    matches = (
        Victim.objects.filter(q, kelurahan_id=case.kelurahan_id)
        .exclude(case_id=case.pk)
        .filter(case__is_roleplay=case.is_roleplay)
        .only("case_id", "nik", "full_name", "birth_date")
    )
    for m in matches:
        for v in victims:
            reason = _duplicate_reason(m, v)
            if reason:
                found.setdefault(m.case_id, set()).add(reason)
    return found


def _duplicate_reason(match: Victim, victim: Victim) -> str:
    """Why `match` (a victim of another case) may be `victim`: "nik", "name_birth" or ""."""
    if victim.nik and match.nik == victim.nik:
        return "nik"
    if (
        victim.birth_date
        and str(match.birth_date) == str(victim.birth_date)
        and normalize_name(match.full_name) == normalize_name(victim.full_name)
    ):
        return "name_birth"
    return ""


def _derive(obj: Victim | Perpetrator, case: Case) -> None:
    """Fields derived from what was typed: the victim's name as search reads it, the age group
    on the registration date (reports)."""
    if isinstance(obj, Victim):
        obj.search_name = normalize_name(obj.full_name)
        obj.age_group = age_group_at_registration(obj, case.registered_at)


def _upsert_rows(
    case: Case,
    related: RelatedManager[PersonT],
    rows: Iterable[Row],
    allowed: frozenset[str],
    actor: User,
    label: str,
    changed: list[str],
) -> list[PersonT]:
    """Update the case's existing rows of `related` (case.victims, case.perpetrators) whose pk is
    given, and add new ones after them, in display order; nothing is ever deleted. Appends
    "<label>.<field>" / "<label>.added" to `changed`."""
    model = related.model
    current = {obj.pk: obj for obj in related.all()}
    next_pos = max((obj.position for obj in current.values()), default=0) + 1
    out = []
    for pk, data in rows:
        data = _pick(data, allowed)
        if pk:
            obj = current[int(pk)]
            diff = [f for f, val in data.items() if getattr(obj, f) != val]
            if diff:
                for f, val in data.items():
                    setattr(obj, f, val)
                _derive(obj, case)
                obj.version += 1
                set_history_user(obj, actor).save()
                changed += [f"{label}.{f}" for f in diff]
        else:
            obj = model(case=case, kelurahan_id=case.kelurahan_id, position=next_pos, **data)
            _derive(obj, case)
            next_pos += 1
            set_history_user(obj, actor).save()
            changed.append(f"{label}.added")
        out.append(obj)
    return out


def case_update(
    *,
    case: Case,
    actor: User,
    expected_version: int | None,
    case_data: Fields,
    victims: Sequence[Row],
    perpetrators: Sequence[Row] = (),
    links: Iterable[Link] = (),
    ip: str | None = None,
) -> list[str]:
    """Correct the intake data of a case: the procedure's "edit_intake" step (cases/engine.py:
    row lock, who may, a closed case is read-only, the timeline entry, the invariants).

    victims / perpetrators: lists of (existing pk or None, field dict) in display order (new rows
    are added; nothing is ever deleted). Refused with StaleEdit when the case changed since the
    form was loaded (expected_version). Returns the list of changed field names.
    """
    from .. import engine, workflow

    if expected_version is None:
        raise StaleEdit()
    data = {
        "version": expected_version,
        "case_data": _pick(case_data, CASE_FIELDS),
        "case_fields": tuple(sorted(case_data)),
        "victims": victims,
        "perpetrators": perpetrators,
        "links": links,
        "ip": ip,
    }
    try:
        ctx = engine.fire(workflow.CASE, case, "edit_intake", actor, data)
    except engine.Stale:
        raise StaleEdit() from None
    case.version = ctx.subject.version
    return ctx.outcome.payload["fields"]


def apply_intake_edit(ctx: Ctx[Case]) -> list[str]:
    """The effect of "edit_intake" on the locked case (called by the engine)."""
    locked, actor, data = ctx.subject, ctx.actor, ctx.data
    case_data = data["case_data"]
    changed = [f for f, v in case_data.items() if getattr(locked, f) != v]
    for f, v in case_data.items():
        setattr(locked, f, v)
    victim_objs = _upsert_rows(
        locked, locked.victims, data["victims"], VICTIM_FIELDS, actor, "victim", changed
    )
    perp_objs = _upsert_rows(
        locked,
        locked.perpetrators,
        data["perpetrators"],
        PERPETRATOR_FIELDS,
        actor,
        "perpetrator",
        changed,
    )
    _write_links(perp_objs, victim_objs, data["links"], actor)
    check_duplicates(case=locked, actor=actor, ip=data.get("ip"), victims=victim_objs)
    return changed
