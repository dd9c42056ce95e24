"""The referrals section of the case page (cases.page.register_section_provider)."""

from django.utils.translation import gettext_lazy as _

from cases.access import FULL
from cases.page import Section

from . import workflow as wf
from .access import may_make_emergency
from .forms import StepForm
from .models import Referral


def annotate_referred(qs):
    """Case queryset with `has_open_referral` (the "Dirujuk" badge) in the same query."""
    from django.db.models import Exists, OuterRef

    from .models import OPEN_STATES

    return qs.annotate(
        has_open_referral=Exists(
            Referral.objects.filter(case=OuterRef("pk"), state__in=list(OPEN_STATES))
        )
    )


def case_prefetches():
    """The case's referrals with their running clock, fetched with the case page."""
    from django.db.models import Prefetch

    from .clocks import with_due

    qs = with_due(Referral.objects.select_related("agency", "victim", "action"))
    return [Prefetch("referrals", queryset=qs)]


def case_referrals_section(request, case):
    # Prefetched with the case page (case_prefetches); the case itself for each referral.
    if "referrals" in getattr(case, "_prefetched_objects_cache", {}):
        referrals = list(case.referrals.all())
    else:
        (lookup,) = case_prefetches()
        referrals = list(lookup.queryset.filter(case=case))
    for r in referrals:
        r.case = case
    # The "Dirujuk" badge of the case page header (templates/cases/_badges.html).
    case.has_open_referral = any(r.is_open for r in referrals)
    # Volunteers with intake access see only intake data and status: no referrals.
    if getattr(case, "access_level", None) != FULL:
        return []
    from django.utils import timezone

    from .clocks import mark_due

    mark_due(referrals, timezone.now())
    for r in referrals:
        r.steps = [
            {"step": s, "form": StepForm(prefix=s.action), "fields": list(s.fields)}
            for s in wf.available_steps(r, request.user)
            if not s.fields  # steps that need input are done on the referral's page
        ]
        r.more_steps = any(s.fields for s in wf.available_steps(r, request.user))
    companion = may_make_emergency(request.user, case)
    referred_action_ids = {
        r.action_id for r in referrals if r.state not in ("completed", "declined", "cancelled")
    }
    startable = []
    if companion and case.status in wf.REFERRAL_CASE_STATES:
        startable = [
            a for a in case.actions.all() if a.agency_id and a.pk not in referred_action_ids
        ]
    return [
        Section(
            id="rujukan",
            title=_("Referrals"),
            template="referrals/_case_section.html",
            context={
                "referrals": referrals,
                "startable": startable,
                "can_emergency": companion and case.status in wf.EMERGENCY_CASE_STATES,
                "case": case,
            },
            order=60,
        )
    ]
