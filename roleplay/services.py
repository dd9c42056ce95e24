"""The only code that writes role-play sessions, participants and notes, and applies a note to
the draft mechanism. Each function checks who acts and the session's state on the locked row (a
form sent by hand, twice or late is refused the same way)."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency, Role, User
from cases import engine
from mechanism import services as mech
from mechanism.models import ChangeLog, Version

from . import access, scenarios
from .models import Note, Participant, Refusal, Session


class Refused(Exception):  # noqa: N818
    def __init__(self, *reasons: str) -> None:
        self.reasons = [str(r) for r in reasons]
        super().__init__("; ".join(self.reasons))


def _locked(session_id: int) -> Session:
    return Session.objects.select_for_update().select_related("kelurahan").get(pk=session_id)


def _may_run(actor, session: Session) -> None:
    if not access.runs(actor, session):
        raise Refused(_("Only the facilitator runs this session."))


def create_session(*, actor, kelurahan, version, title, held_on, place, minutes_per_day) -> Session:
    if not access.can_run(actor, kelurahan.pk):
        raise Refused(_("You may not run role-play sessions in this kelurahan."))
    if version.kelurahan_id != kelurahan.pk or version.state == Version.State.SUPERSEDED:
        raise Refused(_("Choose a draft, trial or enacted version of this kelurahan."))
    if not 1 <= int(minutes_per_day) <= 1440:
        raise Refused(_("A day of the procedure lasts between 1 and 1440 minutes."))
    return Session.objects.create(
        kelurahan=kelurahan,
        version=version,
        title=title,
        held_on=held_on,
        place=place,
        minutes_per_day=minutes_per_day,
        facilitator=actor,
    )


def add_participant(
    *, actor, session_id, user, role, agency=None, sex, age_group="adult", with_disability=False
) -> Participant:
    with transaction.atomic():
        session = _locked(session_id)
        _may_run(actor, session)
        if session.state == Session.State.ENDED:
            raise Refused(_("The session has ended."))
        if role == Role.PETUGAS and agency is None:
            raise Refused(_("Choose the agency the officer plays."))
        if role != Role.PETUGAS:
            agency = None
        if Participant.objects.filter(session=session, user=user, role=role).exists():
            raise Refused(_("This person already plays this role in the session."))
        return Participant.objects.create(
            session=session,
            user=user,
            role=role,
            agency=agency,
            sex=sex,
            age_group=age_group,
            with_disability=with_disability,
        )


def invite(*, actor, session_id, full_name, **participant) -> tuple[Participant, str]:
    """A participant without an account: the account (no usable password) and a one-time code
    the facilitator hands over; with the code and the username the person sets a password on
    the sign-in page's "I have a code" form (accounts.passwords). The code is returned once."""
    from accounts.passwords import issue_code

    with transaction.atomic():
        session = _locked(session_id)
        _may_run(actor, session)
        first, _sp, last = full_name.strip().partition(" ")
        user = User(username=f"sim-{uuid.uuid4().hex[:8]}", first_name=first, last_name=last)
        user.set_unusable_password()
        user.save()
        code = issue_code(user, actor=actor)
        p = add_participant(actor=actor, session_id=session.pk, user=user, **participant)
        # In the account audit log the lurah reads, like every invitation (accounts issue): a
        # session participant, whose roles hold only on the session's SIM cases.
        from accounts.models import AccountAudit
        from accounts.people_service import _audit

        _audit(
            AccountAudit.Action.INVITED,
            actor=actor,
            subject=user,
            place=session.kelurahan,
            role=str(p.role),
            session=session.pk,
            kind="roleplay_code",
        )
    return p, code


def start(*, actor, session_id) -> Session:
    with transaction.atomic():
        session = _locked(session_id)
        _may_run(actor, session)
        if session.state != Session.State.PLANNED:
            raise Refused(_("Only a planned session can start."))
        if not session.participants.exists():
            raise Refused(_("Add the participants first."))
        session.state, session.started_at = Session.State.RUNNING, timezone.now()
        session.save(update_fields=["state", "started_at"])
    return session


def open_card(*, actor, session_id, key):
    """A role-play case in the simulation series for one scenario card, registered by the
    session's volunteer (else the facilitator), on the session's version and compressed time."""
    from cases.services.intake import case_register

    card = scenarios.card(key)
    if card is None:
        raise Refused(_("Unknown scenario card."))
    with transaction.atomic():
        session = _locked(session_id)
        _may_run(actor, session)
        if session.state != Session.State.RUNNING:
            raise Refused(_("Cases are opened while the session runs."))
        if session.cases.filter(scenario=key).exists():
            raise Refused(_("This card is already played in the session."))
        volunteer = session.participants.filter(role=Role.RELAWAN).select_related("user").first()
        return case_register(
            kelurahan=session.kelurahan,
            actor=volunteer.user if volunteer else actor,
            case_data=dict(card.case),
            victims=[dict(v) for v in card.victims],
            session=session,
            scenario=key,
        ).case


def end(*, actor, session_id) -> Session:
    """The session ends: every session role ends with it, and it counts once in the outreach
    log as a simulation (participants by sex, age group and disability)."""
    from outreach.models import Activity, Kind

    with transaction.atomic():
        session = _locked(session_id)
        _may_run(actor, session)
        if session.state != Session.State.RUNNING:
            raise Refused(_("Only a running session can end."))
        people = {}
        for p in session.participants.all():
            people.setdefault(p.user_id, p)
        rows = list(people.values())
        session.activity = Activity.objects.create(
            kelurahan=session.kelurahan,
            kind=Kind.SIMULASI,
            held_on=session.held_on,
            place=session.place,
            topic=session.title[:200],
            facilitator=(actor.get_full_name() or actor.username)[:160],
            women=sum(p.sex == Participant.Sex.FEMALE for p in rows),
            men=sum(p.sex == Participant.Sex.MALE for p in rows),
            children=sum(p.age_group == Participant.AgeGroup.CHILD for p in rows),
            elderly=sum(p.age_group == Participant.AgeGroup.ELDERLY for p in rows),
            with_disability=sum(p.with_disability for p in rows),
            notes=_("Role-play session %(n)s (recorded by the app).") % {"n": session.pk},
            recorded_by=actor,
        )
        session.state, session.ended_at = Session.State.ENDED, timezone.now()
        session.save(update_fields=["state", "ended_at", "activity"])
    return session


def validate_proposal(target: str, clock_key: str, proposed) -> list[str]:
    T = Note.Target
    if target == T.OUTSIDE:
        return []
    if proposed in (None, "", [], {}):
        return [_("Give the proposed value.")]
    if target == T.DEADLINE:
        if not clock_key:
            return [_("Choose the clock.")]
        return mech.validate_deadlines({clock_key: proposed})
    if target == T.APPROVERS and proposed not in Version.Approvers.values:
        return [_("Choose who approves referrals.")]
    if target == T.HANDOVER_AGENCIES:
        ids = [int(i) for i in proposed]
        if Agency.objects.filter(pk__in=ids).count() != len(set(ids)):
            return [_("Unknown agency.")]
    return []


def add_note(*, actor, session_id, step, target, text, clock_key="", proposed=None, case=None):
    with transaction.atomic():
        session = _locked(session_id)
        if not (access.runs(actor, session) or access.takes_part(actor, session)):
            raise Refused(_("Only the session's facilitator and participants take notes."))
        if session.state == Session.State.PLANNED:
            raise Refused(_("Notes are taken once the session has started."))
        reasons = [] if text.strip() else [_("Write what should change.")]
        reasons += validate_proposal(target, clock_key, proposed)
        if case is not None and case.roleplay_session_id != session.pk:
            reasons.append(_("The case is not one of this session's."))
        if reasons:
            raise Refused(*reasons)
        return Note.objects.create(
            session=session,
            case=case,
            step=step,
            target=target,
            clock_key=clock_key if target == Note.Target.DEADLINE else "",
            proposed=None if target == Note.Target.OUTSIDE else proposed,
            text=text.strip(),
            by=actor,
        )


def _data_for(note: Note, draft: Version) -> dict:
    T = Note.Target
    if note.target == T.DEADLINE:
        return {"deadlines": {**(draft.deadlines or {}), note.clock_key: note.proposed}}
    if note.target == T.SERVICE_HOURS:
        return {"service_hours": {**(draft.service_hours or {}), **note.proposed}}
    if note.target == T.HANDOVER_AGENCIES:
        return {"handover_agencies": [int(i) for i in note.proposed]}
    return {note.target: note.proposed}


def apply_note(*, actor, note_id) -> Version:
    """Copy the note's proposed value into the kelurahan's draft version (a new draft from the
    newest version when there is none) and record the note in its change log. A note outside
    the mechanism changes nothing: it is listed for the program team."""
    with transaction.atomic():
        note = Note.objects.select_for_update().select_related("session").get(pk=note_id)
        session = note.session
        _may_run(actor, session)
        if not note.in_mechanism:
            raise Refused(
                _("This note is outside the mechanism: it is listed for the program team.")
            )
        if note.applied_version_id:
            raise Refused(
                _("This note was already applied to version %(n)s.")
                % {"n": note.applied_version.number}
            )
        reasons = validate_proposal(note.target, note.clock_key, note.proposed)
        if reasons:
            raise Refused(*reasons)
        draft = Version.objects.filter(
            kelurahan_id=session.kelurahan_id, state=Version.State.DRAFT
        ).first()
        try:
            if draft is None:
                draft = mech.create_draft(kelurahan=session.kelurahan, actor=actor, check=False)
            mech.update_draft(
                version_id=draft.pk, actor=actor, data=_data_for(note, draft), check=False
            )
        except mech.Refused as e:
            raise Refused(*e.reasons) from e
        ChangeLog.objects.create(
            version=draft,
            by=actor,
            at=timezone.now(),
            field="roleplay_note",
            new=_("Correction note %(n)s of the role-play session %(s)s: %(text)s")
            % {"n": note.pk, "s": session.title, "text": note.text},
        )
        note.applied_version, note.applied_at, note.applied_by = draft, timezone.now(), actor
        note.save(update_fields=["applied_version", "applied_at", "applied_by"])
    return draft


def _refused(ctx, *, table, subject, action, actor, e) -> None:
    """The engine refused a step on a session's case: keep the messages for the debrief."""
    case = getattr(subject, "case", subject)
    session_id = getattr(case, "roleplay_session_id", None)
    if not session_id:
        return
    from accounts.roles import roles_of

    roles = sorted(roles_of(actor).on(case) - {Role.FASILITATOR})
    Refusal.objects.create(
        session_id=session_id,
        case_id=case.pk,
        action=action if table.key == "case" else f"{table.key}.{action}",
        roles=", ".join(roles),
        reasons=list(e.reasons),
    )


engine.on("refused", _refused)
