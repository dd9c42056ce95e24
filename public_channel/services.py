"""The rules of the public channel, checked where their effect happens, whatever door the
request came through (a POST by hand, twice, in any order): every change locks the submission
row and checks its state first.

- `submit`: code and PIN, the daily flood mark, the verify_public clock; the same form (its
  signed nonce) sent twice makes one submission.
- `check_status`: code + PIN; 5 wrong PINs lock the code for 24 hours whatever the address; a
  wrong code and a wrong PIN give the same answer (and the same work: one hash check).
- `mark_read`, `decline`, `start_registration` (the normal intake links the case it saves),
  `add_message`, `unlock`: the coordinator's steps.
- `erase_declined`: text and contact of declined submissions erased after 90 days.
- `notify_received`: the coordinators are told (in the app, and by an e-mail without content
  through the outbox) when a submission arrives.
- The verify_public clock is a cases.ClockRun row (submission set, no case), written in the
  same transaction as the submission is stored and stopped in the same transaction as it is
  registered (the case linked) or declined: Tugas Saya, the dashboard, the reports and the
  periodic run's reminders and escalations (outbox/reminders.py) read it like every clock.
"""

from __future__ import annotations

import datetime
import secrets
import uuid

from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import hours as service_hours
from .models import Message, PublicSettings, Submission

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O/1/I/L
CODE_LENGTH = 8
PIN_FAILURES_ALLOWED = 5
LOCK_HOURS = 24
ERASE_AFTER_DAYS = 90
# Per address, in the shared store (mobile carriers share addresses: generous).
SUBMIT_PER_HOUR = 20
STATUS_PER_HOUR = 60
URGENT_SERVICE_HOURS = 2
CLOCK_KEY = "verify_public"
# A dummy hash, checked when the code is unknown, so both answers take the same work.
_DUMMY_HASH = make_password("000000")


class Refused(Exception):
    """A step that cannot happen now; the message is for the user, in plain words."""


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_pin() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def normalize_code(raw: str) -> str:
    return "".join(ch for ch in (raw or "").upper() if not ch.isspace() and ch != "-")[:32]


# ---------------------------------------------------------------------------------------------
# Limits per address (shared cache: every process and machine sees the same counts)


def _count(key: str, window: int) -> int:
    cache = caches["default"]
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:
        cache.set(key, 1, window)
        return 1


def over_address_limit(kind: str, ip: str | None) -> bool:
    limit = SUBMIT_PER_HOUR if kind == "submit" else STATUS_PER_HOUR
    return _count(f"public-{kind}:{ip or 'unknown'}", 3600) > limit


# ---------------------------------------------------------------------------------------------
# Sending


def settings_for(kelurahan) -> PublicSettings:
    found = PublicSettings.objects.filter(kelurahan=kelurahan).first()
    return found or PublicSettings(kelurahan=kelurahan)


def clock_for(kelurahan, received_at, danger_now, version) -> tuple[datetime.datetime, int]:
    """(due, hours) of the verify_public clock, from the mechanism version that governed the
    kelurahan when the submission was received (else the procedure's defaults): urgent = its
    emergency hours (2) within service hours; others its deadline in clock time."""
    from cases.clocks import deadline_for, deadlines_of

    dmap = {version.pk: deadlines_of(version.deadlines)} if version is not None else {}
    vid = version.pk if version is not None else None
    if danger_now:
        hours = deadline_for(dmap, vid, CLOCK_KEY, emergency=True).nominal_hours
        return service_hours.add_service_hours(kelurahan, received_at, hours), hours
    hours = deadline_for(dmap, vid, CLOCK_KEY).nominal_hours
    return received_at + datetime.timedelta(hours=hours), hours


def _recompute(run) -> tuple[int, datetime.datetime]:
    """cases.clocks.RECOMPUTE: the run's (hours, due) by the rule above, again."""
    sub = Submission.objects.select_related("kelurahan", "mechanism").get(pk=run.submission_id)
    due, hours = clock_for(sub.kelurahan, sub.received_at, sub.danger_now, sub.mechanism)
    return hours, due


def _start_clock(sub: Submission, due, hours) -> None:
    from cases.models import ClockRun

    ClockRun.objects.create(
        kelurahan_id=sub.kelurahan_id,
        submission=sub,
        key=CLOCK_KEY,
        waits_on=ClockRun.WaitsOn.COORDINATOR,
        # Public submissions are always real (role play has no public door).
        is_roleplay=False,
        hours=hours,
        started_at=sub.received_at,
        due_at=due,
    )


def _stop_clock(sub: Submission, now, reason: str) -> None:
    from cases.models import ClockRun

    ClockRun.objects.filter(submission=sub, stopped_at__isnull=True).update(
        stopped_at=now, stop_reason=reason
    )


def submit(*, kelurahan, data: dict, nonce: str) -> tuple[Submission, str | None, str | None]:
    """Store a submission. Returns (submission, code, pin); code and pin are None when this
    form (nonce) was already sent: the first one stands, the second makes nothing."""
    existing = Submission.objects.filter(form_nonce=nonce).first()
    if existing is not None:
        return existing, None, None
    now = timezone.now()
    pin = new_pin()
    local_day = timezone.localtime(now, kelurahan.tzinfo).date()
    day_start = datetime.datetime.combine(local_day, datetime.time(0), tzinfo=kelurahan.tzinfo)
    import mechanism

    version = mechanism.current(kelurahan)
    due, clock_hours = clock_for(kelurahan, now, data.get("danger_now", False), version)
    for _attempt in range(5):
        code = new_code()
        try:
            with transaction.atomic():
                today = Submission.objects.filter(
                    kelurahan=kelurahan, received_at__gte=day_start
                ).count()
                sub = Submission.objects.create(
                    kelurahan=kelurahan,
                    code=code,
                    pin_hash=make_password(pin),
                    form_nonce=nonce,
                    received_at=now,
                    mechanism=version,
                    possible_flood=today >= settings_for(kelurahan).flood_per_day,
                    **data,
                )
                _start_clock(sub, due, clock_hours)
                notify_received(sub)
            return sub, code, pin
        except IntegrityError:
            twin = Submission.objects.filter(form_nonce=nonce).first()
            if twin is not None:
                return twin, None, None
            # A code already taken (1 in 8e11): draw again.
    raise RuntimeError("no free code")  # pragma: no cover


# ---------------------------------------------------------------------------------------------
# The status check


def check_status(code: str, pin: str) -> Submission | None:
    """The submission for this code and PIN, or None: the same None for an unknown code, a
    wrong PIN and a locked code."""
    code = normalize_code(code)
    pin = (pin or "").strip()
    with transaction.atomic():
        sub = Submission.objects.select_for_update().filter(code=code).first() if code else None
        if sub is None:
            check_password(pin, _DUMMY_HASH)
            return None
        if sub.locked:
            check_password(pin, _DUMMY_HASH)
            return None
        if pin.isdigit() and len(pin) == 6 and check_password(pin, sub.pin_hash):
            if sub.pin_failures:
                sub.pin_failures = 0
                sub.save(update_fields=["pin_failures"])
            return sub
        sub.pin_failures += 1
        fields = ["pin_failures"]
        if sub.pin_failures >= PIN_FAILURES_ALLOWED:
            sub.locked_until = timezone.now() + datetime.timedelta(hours=LOCK_HOURS)
            sub.pin_failures = 0
            fields.append("locked_until")
        sub.save(update_fields=fields)
        return None


# ---------------------------------------------------------------------------------------------
# The coordinator's steps


def _locked(pk) -> Submission:
    return Submission.objects.select_for_update().select_related("kelurahan").get(pk=pk)


def mark_read(sub: Submission, user) -> bool:
    """The first read by the coordinator moves "received" to "read" (what the sender sees)."""
    if sub.state != Submission.State.RECEIVED:
        return False
    with transaction.atomic():
        sub = _locked(sub.pk)
        if sub.state != Submission.State.RECEIVED:
            return False
        sub.state = Submission.State.READ
        sub.read_at = timezone.now()
        sub.read_by = user
        sub.save(update_fields=["state", "read_at", "read_by"])
    return True


def _open_or_refuse(sub: Submission) -> None:
    if sub.state == Submission.State.REGISTERED:
        raise Refused(_("This submission was already registered as a case."))
    if sub.state == Submission.State.DECLINED:
        raise Refused(_("This submission was already declined."))


def decline(pk, user, reason: str, note: str) -> Submission:
    if reason not in Submission.Decline.values:
        raise Refused(_("Choose why the submission is declined."))
    note = (note or "").strip()
    if not note:
        raise Refused(_("Write the reason for declining (a few words)."))
    with transaction.atomic():
        sub = _locked(pk)
        _open_or_refuse(sub)
        now = timezone.now()
        sub.state = Submission.State.DECLINED
        sub.decline_reason = reason
        sub.decline_note = note[:200]
        sub.decided_at = now
        sub.decided_by = user
        sub.intake_token = None
        sub.save()
        _stop_clock(sub, now, "public.decline")
    return sub


def start_registration(pk, user) -> Submission:
    """Gives the submission the intake token its case will be saved with (kept if it has one:
    the same "register" pressed twice opens the same form)."""
    with transaction.atomic():
        sub = _locked(pk)
        _open_or_refuse(sub)
        if sub.intake_token is None:
            sub.intake_token = uuid.uuid4()
            sub.save(update_fields=["intake_token"])
    return sub


def link_case(ctx, *, case) -> None:
    """Reaction to "case.registered" (same transaction as the registration): the case saved
    with a submission's intake token is linked to it and the clock stops. Only a case of the
    submission's kelurahan, registered by its coordinator, on an open submission."""
    if not case.intake_token:
        return
    from .access import is_coordinator

    sub = (
        Submission.objects.select_for_update()
        .filter(intake_token=case.intake_token, kelurahan_id=case.kelurahan_id)
        .first()
    )
    if sub is None or not sub.is_open or case.is_roleplay:
        return
    if not is_coordinator(case.registered_by, sub.kelurahan_id):
        return
    now = timezone.now()
    sub.state = Submission.State.REGISTERED
    sub.case = case
    sub.decided_at = now
    sub.decided_by = case.registered_by
    sub.save()
    _stop_clock(sub, now, "public.register")


def add_message(pk, user, template: str, text: str = "", confirm_free: bool = False) -> Message:
    if template not in Message.Template.values:
        raise Refused(_("Choose a message."))
    text = (text or "").strip()
    with transaction.atomic():
        sub = _locked(pk)
        if sub.erased_at is not None:
            raise Refused(_("This submission's content was erased."))
        if template == Message.Template.FREE:
            if sub.affected != Submission.Affected.SELF:
                raise Refused(
                    _(
                        "A message in your own words is only allowed when the sender is the "
                        "person affected; choose one of the neutral messages."
                    )
                )
            if not (confirm_free or sub.free_text_confirmed):
                raise Refused(_("Confirm that you verified the sender is the person affected."))
            if not text:
                raise Refused(_("Write the message."))
            if len(text) > 300:
                raise Refused(_("The message is at most 300 characters."))
            if not sub.free_text_confirmed:
                sub.free_text_confirmed = True
                sub.save(update_fields=["free_text_confirmed"])
        else:
            text = ""
        return Message.objects.create(submission=sub, template=template, text=text, by=user)


def unlock(pk, user) -> Submission:
    with transaction.atomic():
        sub = _locked(pk)
        sub.locked_until = None
        sub.pin_failures = 0
        sub.save(update_fields=["locked_until", "pin_failures"])
    return sub


def erase_declined(now=None) -> int:
    """Text and contact data of submissions declined more than 90 days ago are erased; the row
    (kelurahan, dates, kind, reason) stays for the counts."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=ERASE_AFTER_DAYS)
    subs = Submission.objects.filter(
        state=Submission.State.DECLINED, decided_at__lte=cutoff, erased_at__isnull=True
    )
    count = 0
    for sub in subs:
        with transaction.atomic():
            Message.objects.filter(submission=sub).update(text="")
            Submission.objects.filter(pk=sub.pk).update(
                text="",
                place="",
                contact_value="",
                contact_when="",
                erased_at=now,
            )
        count += 1
    return count


# ---------------------------------------------------------------------------------------------
# Telling the coordinators (notifications without content; e-mail copies through the outbox)


def _coordinators(kelurahan_id: int):
    from accounts.models import Role, active_members

    return list(active_members([Role.KOORDINATOR], kelurahan_id=kelurahan_id))


def _notify(sub: Submission, kind: str, text) -> int:
    from django.urls import reverse

    from notifications.services import notify

    made = notify(
        _coordinators(sub.kelurahan_id),
        subject=sub,
        kind=kind,
        text=text,
        url=reverse("public:detail", args=[sub.pk]),
        kelurahan_id=sub.kelurahan_id,
    )
    return len(made)


def notify_received(sub: Submission) -> int:
    from django.utils.translation import override

    with override("id"):
        if sub.danger_now:
            text = _("Urgent: a submission from the public says someone is in danger now.")
        else:
            text = _("A new submission from the public is waiting for verification.")
    return _notify(sub, "public_submission", text)


def periodic(now=None) -> None:
    """The periodic run's share: the 90-day erasure (the verify_public clock's reminders and
    escalations are outbox/reminders.py's, like every clock's)."""
    erase_declined(now)


def connect() -> None:
    from django.urls import reverse

    from cases import clocks, engine

    def submission_url(run) -> str:
        return reverse("public:detail", args=[run.submission_id])

    clocks.PRESENTERS[CLOCK_KEY] = clocks.Presenter(
        clocks.CLOCKS_BY_KEY[CLOCK_KEY].label, clocks.CLOCKS_BY_KEY, submission_url
    )
    clocks.RECOMPUTE[CLOCK_KEY] = _recompute

    if link_case not in engine.REACTIONS.get("case.registered", []):
        engine.on("case.registered", link_case)
    from notifications.services import register_receiver

    from .access import may_see

    # Only whoever may see the submission is told about it (RECIPIENTS, cases/invariants.py).
    register_receiver("public.submission", may_see)
