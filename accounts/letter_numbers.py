"""The kelurahan's letter-number format: its placeholders, how it is rendered, how it is checked.

One place for both: referrals.services.format_letter_number renders a letter's number with
`render`, and the admin (the model field's validator, Kelurahan.clean) refuses a format that
`render` could not fill, so an approval can never fail on a format saved earlier.
"""

import datetime as dt
import string

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

DEFAULT_FORMAT = "{seq:03d}/LBK-KK/{kode}/{bulan_romawi}/{tahun}"
# Referral.letter_number's length: a format whose numbers would not fit is refused.
MAX_LENGTH = 80
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]

# The placeholders, in the order the help text lists them. Only {seq} may carry a format spec
# ({seq:03d}); every other value is text already.
PLACEHOLDERS = ("seq", "kode", "bulan_romawi", "bulan", "tahun", "klasifikasi")
SEQ = "seq"


def values(*, seq, kode, day, klasifikasi=""):
    """What each placeholder stands for in the number of one letter."""
    return {
        "seq": seq,
        "kode": kode,
        "bulan_romawi": ROMAN[day.month - 1],
        "bulan": f"{day.month:02d}",
        "tahun": day.year,
        "klasifikasi": klasifikasi or "",
    }


def render(fmt, *, seq, kode, day, klasifikasi=""):
    return (fmt or DEFAULT_FORMAT).format(
        **values(seq=seq, kode=kode, day=day, klasifikasi=klasifikasi)
    )


def example(fmt=DEFAULT_FORMAT, *, kode="WS", klasifikasi="", day=None):
    """A rendered example, e.g. 007/LBK-KK/WS/XI/2026."""
    day = day or timezone.localdate()
    return render(fmt, seq=7, kode=kode, day=day, klasifikasi=klasifikasi)


def placeholder_list():
    return ", ".join("{" + p + "}" for p in PLACEHOLDERS)


def help_text():
    return _(
        "Placeholders: %(placeholders)s; only {seq} may have a format such as {seq:03d}. "
        "Default: %(default)s, e.g. %(example)s."
    ) % {
        "placeholders": placeholder_list(),
        "default": DEFAULT_FORMAT,
        "example": example(DEFAULT_FORMAT, day=dt.date(2026, 11, 1)),
    }


def _refuse(message, **params):
    # Translated when shown, in the language of the page that shows it.
    text = lazy(lambda: str(message) % params if params else str(message), str)()
    raise ValidationError(
        _("%(problem)s Example: %(format)s gives %(example)s."),
        code="letter_number_format",
        params={"problem": text, "format": DEFAULT_FORMAT, "example": example()},
    )


def validate_format(fmt):
    """Model field validator of Kelurahan.letter_number_format."""
    if not fmt:
        return  # empty: the default format is used
    try:
        parts = list(string.Formatter().parse(fmt))
    except ValueError:
        _refuse(
            _(
                "The braces do not match: write each placeholder in single braces, such as "
                "{seq}, and a brace that should be printed as {{ or }}."
            )
        )
    names = set()
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            _refuse(
                _("Unknown placeholder {%(name)s}. Allowed: %(allowed)s."),
                name=name,
                allowed=placeholder_list(),
            )
        if conversion:
            _refuse(_("Placeholder {%(name)s} cannot have a conversion (!)."), name=name)
        if spec and name != SEQ:
            _refuse(_("Only {seq} may have a format such as {seq:03d}; not {%(name)s}."), name=name)
        if spec and ("{" in spec or "}" in spec):
            _refuse(_("The format of {seq} cannot contain another placeholder."))
        names.add(name)
    if SEQ not in names:
        _refuse(_("The format must contain {seq}, the running number of the letter."))
    try:
        widest = render(
            fmt,
            seq=99999,
            kode="XXXXXX/SIM",
            day=dt.date(2026, 8, 1),
            klasifikasi="X" * 20,
        )
    except (ValueError, TypeError):
        _refuse(_("The format of {seq} is not a number format (e.g. {seq:03d})."))
    if len(widest) > MAX_LENGTH:
        _refuse(_("Numbers in this format can be longer than %(max)s characters."), max=MAX_LENGTH)
