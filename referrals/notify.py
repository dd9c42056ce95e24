"""Who is told what about a referral (PROCEDURE.md: events that need someone's action).

Texts name the case and agency, never the victim; e-mails say even less (notifications.services).
"""

from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import STAFF_ROLES, Role
from notifications.services import notify
from roleplay.roles import members


def staff(referral):
    return list(members(STAFF_ROLES, case=referral.case))


def coordinators(referral):
    return list(members([Role.KOORDINATOR], case=referral.case))


def companion(referral):
    """The case's companion and who made the referral; notify() keeps only those who may still
    see it (a companion reassigned away is no longer told)."""
    out = [referral.case.companion] if referral.case.companion_id else []
    if referral.created_by_id and referral.created_by_id != referral.case.companion_id:
        out.append(referral.created_by)
    return out


def officers(referral):
    return list(members([Role.PETUGAS], case=referral.case, agency_id=referral.agency_id))


def _send(users, kind, text, referral):
    # Stored in Indonesian, the default language of the app's users.
    notify(
        users,
        subject=referral,
        kind=kind,
        text=text,
        url=referral.get_absolute_url(),
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


def letter_narrowed(referral):
    with override("id"):
        text = _(
            "Consent was withdrawn before the letter for case %(case)s to %(agency)s was ready: "
            "it shows only initials, sex and age."
        ) % _label(referral)
    _send(companion(referral), "letter_narrowed", text, referral)


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
