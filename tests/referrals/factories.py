"""Plain factory functions for referral tests: cases, victims, consents and planned actions made
directly with the ORM (the intake and procedure services are built in parallel)."""

import itertools

from django.utils import timezone

from cases import vocab
from cases.models import Case, Consent, PlannedAction, Victim
from referrals import services

_seq = itertools.count(1)


def make_case(
    master,
    personas,
    *,
    kel="ws",
    status="handling",
    companion="ws.pendamping",
    roleplay=False,
    narrative="Kronologi rahasia: kejadian di rumah.",
    **kw,
):
    kelurahan = master[kel]
    n = next(_seq)
    year = timezone.localdate().year
    sim = "SIM-" if roleplay else ""
    return Case.objects.create(
        kelurahan=kelurahan,
        number=f"{kelurahan.code}-{sim}{year}-{n:04d}",
        year=year,
        seq=n,
        is_roleplay=roleplay,
        status=status,
        registered_by=personas[f"{kel}.relawan"],
        companion=personas[companion] if companion else None,
        ever_assigned=bool(companion),
        narrative=narrative,
        **kw,
    )


def make_victim(
    case,
    *,
    full_name="Siti Aminah Rahman",
    initials="",
    nik="7372010101900001",
    sex="F",
    age=34,
    address="Jl. Mawar No. 7",
    phone="081234567890",
    **kw,
):
    return Victim.objects.create(
        case=case,
        kelurahan=case.kelurahan,
        full_name=full_name,
        initials=initials,
        nik=nik,
        sex=sex,
        estimated_age=age,
        address=address,
        phone=phone,
        **kw,
    )


def consent(victim, by, *, purpose="services", agency=None, fields=(), **kw):
    return Consent.objects.create(
        case=victim.case,
        kelurahan=victim.kelurahan,
        victim=victim,
        purpose=purpose,
        agency=agency,
        shared_fields=list(fields),
        given_by=kw.pop("given_by", vocab.ConsentGiver.VICTIM),
        how=vocab.ConsentHow.WRITTEN,
        recorded_by=by,
        **kw,
    )


def full_consent(victim, agency, by, fields=()):
    consent(victim, by, purpose="services")
    return consent(victim, by, purpose="share", agency=agency, fields=fields)


def action(victim, agency, by, service="psychological"):
    return PlannedAction.objects.create(
        case=victim.case,
        kelurahan=victim.kelurahan,
        victim=victim,
        service_type=service,
        agency=agency,
        created_by=by,
    )


def draft(
    master,
    personas,
    *,
    agency="uptd",
    fields=(),
    consent_fields=None,
    kind="layanan",
    case=None,
    victim=None,
    with_consent=True,
    **case_kw,
):
    case = case or make_case(master, personas, **case_kw)
    victim = victim or make_victim(case)
    ag = master[agency] if isinstance(agency, str) else agency
    companion = case.companion or personas[f"{case.kelurahan.code.lower()}.koordinator"]
    if with_consent:
        full_consent(
            victim, ag, companion, consent_fields if consent_fields is not None else fields
        )
    pa = action(victim, ag, companion)
    r = services.referral_create(
        action=pa,
        actor=companion,
        kind=kind,
        services_requested="Pendampingan psikologis\nKonseling hukum",
        summary="Korban membutuhkan penguatan psikologis.",
    )
    if fields:
        r = services.referral_update(
            referral=r, actor=companion, data={"shared_fields": list(fields)}
        )
    return r


def requested(master, personas, **kw):
    r = draft(master, personas, **kw)
    actor = r.case.companion or personas["ws.koordinator"]
    return services.referral_advance(referral=r, action="request", actor=actor)


def approved(master, personas, signer="ws.kasikesra", **kw):
    r = requested(master, personas, **kw)
    return services.referral_advance(referral=r, action="approve", actor=personas[signer])
