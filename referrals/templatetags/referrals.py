from django import template
from django.template.loader import render_to_string

from referrals.api import is_referred

register = template.Library()


@register.simple_tag
def referred_badge(case):
    """The "Dirujuk" badge while the case has an open referral ({% referred_badge case %})."""
    if case is None or not is_referred(case):
        return ""
    return render_to_string("referrals/_badge.html")
