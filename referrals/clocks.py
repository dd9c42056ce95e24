"""The referral clocks (referrals.workflow.CLOCKS) in Tugas Saya and on the dashboard: the
referrals app adds its tasks and overdue counts to cases/clocks.py through its providers."""

import datetime

from django.utils.translation import gettext_lazy as _

from cases.access import companion_work_waits_on
from cases.clocks import Task

from . import workflow as rwf
from .models import Referral, State

# Referral fields the referral clocks read (referrals.workflow.running_clock).
REFERRAL_CLOCK_FIELDS = (
    "id",
    "kelurahan_id",
    "state",
    "requested_at",
    "sent_at",
    "is_emergency",
    "emergency_at",
    "ratified_at",
    "created_at",
)


def _referral_settings(hmap):
    """hours_map's settings in the flat shape referrals.workflow reads: {(kelurahan, key): h}."""
    return {(kel, key): h for kel, keys in hmap.items() for key, h in keys.items()}


def referral_tasks(user, roles, cases, hmap, now):
    """Referrals waiting on the user (PROCEDURE.md's referral clocks): kelurahan staff decide
    requests and ratify emergency referrals; the companion (the coordinator when none is
    assigned) corrects returned referrals and follows up agencies that have not confirmed
    receipt. One query, on the cases already loaded."""
    by_pk = {c.pk: c for c in cases}
    if not by_pk:
        return []
    settings_map = _referral_settings(hmap)

    def due(r, key, start):
        hours = rwf.clock_hours(r.kelurahan_id, key, settings_map)
        return start + datetime.timedelta(hours=hours)

    out = []
    referrals = Referral.objects.filter(
        case_id__in=list(by_pk), state__in=[State.REQUESTED, State.RETURNED, State.SENT]
    ).only("case_id", *REFERRAL_CLOCK_FIELDS)
    for r in referrals:
        case = by_pk[r.case_id]
        held = roles.at(r.kelurahan_id)
        is_staff = roles.is_staff_at(r.kelurahan_id)
        is_companion = companion_work_waits_on(user, case, held)
        task = None
        if r.state == State.REQUESTED and is_staff and r.requested_at:
            d = due(r, "referral_decision", r.requested_at)
            task = Task(case, _("Decide on a referral request"), d, now > d, "referral_decision")
        elif r.awaits_ratification and is_staff:
            d = due(r, "ratify", r.emergency_at or r.created_at)
            task = Task(case, _("Ratify an emergency referral"), d, now > d, "ratify")
        elif r.state == State.RETURNED and is_companion:
            task = Task(case, _("Correct a returned referral"), None, False, "referral_returned")
        elif r.state == State.SENT and is_companion and r.sent_at:
            d = due(r, "agency_ack", r.sent_at)
            if now > d:
                label = _("Follow up: the agency has not confirmed receipt")
                task = Task(case, label, d, True, "agency_ack")
        if task is not None:
            task.url = r.get_absolute_url()
            out.append(task)
    return out


def referral_overdue(kelurahan_ids, hmap, now):
    """{kelurahan id: [(referral clock label, overdue count)]}: the referral clocks
    (referral_decision, ratify, agency_ack) on the dashboard, in one query."""
    settings_map = _referral_settings(hmap)
    counts = {}
    for r in Referral.objects.filter(
        kelurahan_id__in=kelurahan_ids, state__in=[State.REQUESTED, State.SENT]
    ).only(*REFERRAL_CLOCK_FIELDS):
        running = rwf.running_clock(r)
        if running is not None and now > rwf.due_at(r, settings_map):
            per_kel = counts.setdefault(r.kelurahan_id, {})
            per_kel[running[0]] = per_kel.get(running[0], 0) + 1
    return {
        kel_id: [(c.label, counts.get(kel_id, {}).get(c.key, 0)) for c in rwf.CLOCKS]
        for kel_id in kelurahan_ids
    }
