from django import template
from django.template.loader import render_to_string

register = template.Library()


@register.simple_tag
def referred_badge(case):
    """The "Dirujuk" badge while the case has an open referral ({% referred_badge case %})."""
    if case is None:
        return ""
    flag = getattr(case, "has_open_referral", None)  # annotate_referred() or the case page
    if not (flag if flag is not None else case.referrals.open().exists()):
        return ""
    return render_to_string("referrals/_badge.html")
