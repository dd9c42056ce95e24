"""Test data, made the way the app makes it: a case is registered through the intake service and
taken to its state through the engine, a referral is drafted and moved through the referral
services (ops/demo/story.py, shared with the demo data). So every case in a test has what the app
would have given it: a number, a timeline, assessments, consents, a plan, notifications.

    make_case(personas, "handling")                  a WS case, registered by ws.relawan,
                                                     assigned to ws.pendamping, assessed, planned
    make_case(personas, "closed", kel="wb", child=True, violence_types=["sexual"])
    advance_case(case, "monitoring", personas)       an existing case, further along
    make_referral(personas, "sent")                  to UPTD PPA (which has users: sent when
                                                     approved); "approved" for an agency without
                                                     users, e.g. agency="police"
    make_referral(personas, "emergency")             recorded after the fact, awaits ratification
    make_referral(personas, "approved", letter=False)  numbered, its letter not rendered yet
    worked()                                         the outbox's due work done now (letters,
                                                     reminders, e-mails), as the worker would
    give_consent(victim, "share", agency="dinsos", fields=["full_name"])
    plan_action(victim, agency="uptd")

Everything else a test needs (a step refused, a form posted) goes through the services or the
pages itself. A test that needs a state the app forbids writes it with the ORM, saying so.
"""

import itertools
import uuid

from accounts.models import Agency, Kelurahan, Membership
from cases import vocab
from cases.services.intake import case_register
from ops.demo.story import (
    CASE_STATES,
    EMERGENCY,
    REFERRAL_STATES,
    Crew,
    Desk,
    Work,
    assess_and_plan,
    assign,
    consent_data,
    record,
    refer,
    refer_emergency,
    walk_case,
    walk_referral,
    worked,
)

__all__ = [
    "CASE_STATES",
    "REFERRAL_STATES",
    "REFERRAL_VICTIM",
    "Work",
    "advance_case",
    "get_agency",
    "assess_and_plan",
    "assign",
    "give_consent",
    "get_kelurahan",
    "make_case",
    "make_referral",
    "plan_action",
    "record",
    "worked",
]

_seq = itertools.count(1)

# The master data's agencies by the keys of the `master` fixture.
AGENCY_KINDS = {
    "dp3a": Agency.Kind.DP3A,
    "uptd": Agency.Kind.UPTD_PPA,
    "dinsos": Agency.Kind.DINSOS,
    "police": Agency.Kind.POLICE,
}
# The victim of a referral test: every field an agency may be shown.
REFERRAL_VICTIM = {
    "full_name": "Siti Aminah Rahman",
    "nik": "7372010101900001",
    "sex": "F",
    "estimated_age": 34,
    "address": "Jl. Mawar No. 7",
    "phone": "081234567890",
}
REFERRAL_NARRATIVE = "Kronologi rahasia: kejadian di rumah."


def get_kelurahan(kel):
    """A Kelurahan from its code ("ws", "WB") or itself."""
    return kel if isinstance(kel, Kelurahan) else Kelurahan.objects.get(code=kel.upper())


def get_agency(key):
    """An Agency from a key of AGENCY_KINDS ("uptd", "police"...) or itself."""
    return key if isinstance(key, Agency) else Agency.objects.get(kind=AGENCY_KINDS[key])


def _user(personas, who):
    return personas[who] if isinstance(who, str) else who


def _victim(child):
    n = next(_seq)
    if child:
        return {"full_name": f"Anak Korban {n}", "sex": "F", "estimated_age": 12}
    return {"full_name": f"Korban Uji {n}", "sex": "F", "estimated_age": 30}


def make_case(
    personas,
    state="received",
    *,
    kel="ws",
    by=None,
    companion=None,
    victims=1,
    child=False,
    perpetrators=(),
    links=(),
    roleplay=False,
    work=None,
    **intake,
):
    """A case registered in kelurahan `kel` by `by` (default: its relawan) and taken to `state`
    (one of CASE_STATES) by its coordinator and `companion` (default: its first pendamping).

    victims: how many (adults, or 12-year-olds with child=True) or a list of victim fields;
    perpetrators, links: as case_register takes them; intake: case fields (narrative,
    violence_types, danger_now...; default: a case of physical violence); work: what the
    companion records on the way (ops.demo.story.Work).
    """
    place = get_kelurahan(kel)
    code = place.code.lower()
    if isinstance(victims, int):
        victims = [_victim(child) for _ in range(victims)]
    case = case_register(
        kelurahan=place,
        actor=_user(personas, by or f"{code}.relawan"),
        case_data={"is_violence": True, "violence_types": ["physical"], **intake},
        victims=victims,
        perpetrators=list(perpetrators),
        links=list(links),
        token=uuid.uuid4(),
        is_roleplay=roleplay,
    ).case
    if state != vocab.Status.RECEIVED:
        advance_case(case, state, personas, companion=companion, work=work)
    return case


def crew(case, personas, companion=None):
    code = case.kelurahan.code.lower()
    return Crew(
        coordinator=personas[f"{code}.koordinator"],
        companion=_user(personas, companion or case.companion or f"{code}.pendamping"),
    )


def advance_case(case, state, personas, *, companion=None, work=None):
    """Take an existing case further along the procedure, to `state`; returns it reloaded."""
    if state not in CASE_STATES:
        raise ValueError(f"{state!r} is not one of {CASE_STATES}")
    return walk_case(case, state, crew(case, personas, companion), work)


def give_consent(victim, purpose="services", *, agency=None, fields=(), by=None, **more):
    """A consent entry recorded by the case's companion (or `by`) through the procedure; the giver
    is who may give it for this victim (ops.demo.story.consent_data), unless `more` says."""
    case = victim.case
    data = consent_data(victim, purpose=purpose, shared_fields=list(fields), **more)
    if agency is not None:
        data["agency"] = get_agency(agency)
    return record(case, "consent", by or case.companion, **data)


def plan_action(victim, *, agency=None, service="psychological", by=None, **more):
    """A planned action of the case plan for the victim, provided by the agency (None: LBK-KK)."""
    case = victim.case
    provider = get_agency(agency) if agency is not None else None
    return record(
        case,
        "plan_action",
        by or case.companion,
        victim=victim,
        service_type=service,
        agency=provider,
        **more,
    )


def officer_of(provider):
    """An officer of the agency, when it has users in the app."""
    m = Membership.objects.filter(agency=provider).select_related("user").first()
    return m.user if m else None


def make_referral(
    personas,
    state="draft",
    *,
    case=None,
    victim=None,
    agency="uptd",
    kind="layanan",
    fields=(),
    consent_fields=None,
    with_consent=True,
    signer=None,
    actor=None,
    case_state="handling",
    letter=True,
    **case_kw,
):
    """A referral of `victim` (default: the first of `case`; default case: a new one in handling
    whose victim is REFERRAL_VICTIM) to `agency`, taken to `state` (one of
    REFERRAL_STATES) by the case's companion and `signer` (default: the kelurahan's kasi kesra).

    fields: the data shared in the letter; consent_fields: what the victim's consent to share
    with that agency covers (default: `fields`); with_consent=False records no such consent.
    "emergency": recorded by `actor` (default: the companion, or the coordinator before
    assignment). A new case is made in `case_state`, with case_kw as make_case's arguments.
    letter=False leaves an approved referral's letter to the outbox (not rendered yet: only
    states up to "approved" can be reached then).
    """
    if state not in REFERRAL_STATES:
        raise ValueError(f"{state!r} is not one of {REFERRAL_STATES}")
    provider = get_agency(agency)
    if case is None:
        case_kw.setdefault("victims", [dict(REFERRAL_VICTIM)])
        case_kw.setdefault("narrative", REFERRAL_NARRATIVE)
        case = make_case(personas, case_state, **case_kw)
    victim = victim or case.victims.order_by("position", "pk").first()
    code = case.kelurahan.code.lower()
    if state == EMERGENCY:
        who = actor or case.companion or personas[f"{code}.koordinator"]
        return refer_emergency(case, victim, provider, _user(personas, who))
    companion = _user(personas, actor) if actor else case.companion
    share = None if not with_consent else (consent_fields if consent_fields is not None else fields)
    r = refer(case, victim, provider, companion, kind=kind, share=share, fields=fields)
    desk = Desk(
        companion=companion,
        signer=_user(personas, signer or f"{code}.kasikesra"),
        officer=officer_of(provider),
    )
    return walk_referral(r, state, desk, letter=letter)


def mechanism_version(kel="ws", state="trial", *, deadlines=None, **fields):
    """A mechanism version of kelurahan `kel` written with the ORM in `state` (the pages and
    services that make one are tested in tests/mechanism): deadlines as {clock key: hours} or
    {clock key: (amount, unit)}; fields: reminder_lead_hours, sk_number, sk_date..."""
    from mechanism.models import Version

    place = get_kelurahan(kel) if isinstance(kel, str) else kel
    number = (
        Version.objects.filter(kelurahan=place)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
        or 0
    ) + 1
    spec = {}
    for key, value in (deadlines or {}).items():
        amount, unit = value if isinstance(value, tuple) else (value, "hours")
        spec[key] = {"amount": amount, "unit": unit}
    return Version.objects.create(
        kelurahan=place, number=number, state=state, deadlines=spec, **fields
    )
