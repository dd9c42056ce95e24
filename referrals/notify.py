"""Who is told what about a referral (PROCEDURE.md: events that need someone's action).

Texts name the case and agency, never the victim; e-mails say even less (notifications.services).
"""

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import STAFF_ROLES, Membership, Role, User
from notifications.services import notify


def _users(**membership_filter):
    today = timezone.localdate()
    ids = (
        Membership.objects.filter(valid_from__lte=today, **membership_filter)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .values("user_id")
    )
    return list(User.objects.filter(pk__in=ids, is_active=True))


def staff(referral):
    return _users(kelurahan_id=referral.kelurahan_id, role__in=list(STAFF_ROLES))


def coordinators(referral):
    return _users(kelurahan_id=referral.kelurahan_id, role=Role.KOORDINATOR)


def companion(referral):
    out = [referral.case.companion] if referral.case.companion_id else []
    if referral.created_by_id and referral.created_by not in out:
        out.append(referral.created_by)
    return out


def officers(referral):
    return _users(agency_id=referral.agency_id, role=Role.PETUGAS)


def _send(users, kind, text, referral):
    # Stored in Indonesian, the default language of the app's users.
    notify(
        users,
        kind=kind,
        text=text,
        url=reverse("referrals:detail", args=[referral.pk]),
        kelurahan_id=referral.kelurahan_id,
    )


def _label(referral):
    sim = " [SIMULASI]" if referral.case.is_roleplay else ""
    return {"case": referral.case.number + sim, "agency": referral.agency.name}


def requested(referral):
    with override("id"):
        text = _("Referral of case %(case)s to %(agency)s waits for your approval.") % _label(
            referral
        )
    _send(staff(referral), "referral_requested", text, referral)


def returned(referral):
    with override("id"):
        text = _("Your referral of case %(case)s to %(agency)s was returned with a note.") % (
            _label(referral)
        )
    _send(companion(referral), "referral_returned", text, referral)


def record_sending(referral):
    with override("id"):
        text = _(
            "The letter for case %(case)s to %(agency)s is issued: print it, send it and record "
            "how and when."
        ) % _label(referral)
    _send(companion(referral), "referral_approved", text, referral)


def emergency_to_ratify(referral):
    with override("id"):
        text = _("Emergency referral of case %(case)s to %(agency)s waits for ratification.") % (
            _label(referral)
        )
    _send(staff(referral), "referral_ratify", text, referral)


def ratification_refused(referral):
    with override("id"):
        text = _(
            "Ratification of the emergency referral of case %(case)s to %(agency)s was refused; "
            "the referral is cancelled."
        ) % _label(referral)
    _send(coordinators(referral) + companion(referral), "referral_refused", text, referral)


def sent_to_agency(referral):
    with override("id"):
        if referral.case.is_roleplay:
            text = _("SIMULATION: a role-play referral from LBK-KK %(kel)s arrived.") % {
                "kel": referral.kelurahan.name
            }
        else:
            text = _("A new referral from LBK-KK %(kel)s arrived in your inbox.") % {
                "kel": referral.kelurahan.name
            }
    _send(officers(referral), "referral_sent", text, referral)


def answered(referral):
    with override("id"):
        text = _("%(agency)s answered the referral of case %(case)s: %(state)s.") % {
            **_label(referral),
            "state": referral.get_state_display(),
        }
    _send(companion(referral), "referral_answered", text, referral)
