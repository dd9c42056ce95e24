"""Home-page panels: what waits for the logged-in user among referrals."""

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.roles import roles_of

from .access import agency_referrals
from .models import Referral, State


def referral_panels(request):
    roles = roles_of(request.user)
    panels = []
    staff_at = [k for k in roles.by_kelurahan if roles.is_staff_at(k)]
    if staff_at:
        qs = Referral.objects.filter(kelurahan_id__in=staff_at, case__is_roleplay=False).filter(
            Q(state=State.REQUESTED)
            | Q(is_emergency=True, state=State.SENT, ratified_at__isnull=True)
        )
        panels.append(
            {
                "title": _("Referrals waiting for your decision"),
                "template": "referrals/_home_panel.html",
                "context": {
                    "count": qs.count(),
                    "emergencies": qs.filter(is_emergency=True).count(),
                    "url_name": "referrals:queue",
                },
            }
        )
    if roles.agency_ids:
        qs = agency_referrals(request.user).filter(state=State.SENT)
        panels.append(
            {
                "title": _("New referrals to your agency"),
                "template": "referrals/_home_panel.html",
                "context": {"count": qs.count(), "emergencies": 0, "url_name": "referrals:inbox"},
            }
        )
    return panels
