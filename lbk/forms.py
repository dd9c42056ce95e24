"""What every form of the project shares: a NUL byte answered by the form itself.

PostgreSQL refuses NUL in text, so a NUL that reached a query or a save would be a 500. Django
guards its CharField (ProhibitNullCharactersValidator) and its model choice fields, but not a
ChoiceField, a date, a number or a JSON text (where "\\u0000" becomes NUL only once parsed).
NoNullCharacters checks every field, whatever its type, before and after the field's own
cleaning, and answers with the field's error (Django's own, translated, message). The other
fields are cleaned as usual, so everything else the user typed comes back on the page.

Every form class of the project includes it (tests/security/test_bad_input.py walks them all).
"""

from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator


def has_null_character(value):
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, bytes):
        return b"\x00" in value
    if isinstance(value, dict):
        return any(has_null_character(k) or has_null_character(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(has_null_character(v) for v in value)
    return False


def _refuse():
    v = ProhibitNullCharactersValidator()
    return ValidationError(v.message, code=v.code)


def _guard(field):
    if getattr(field, "_lbk_null_guard", False):
        return
    clean = field.clean

    def guarded_clean(value, *args, **kwargs):
        if has_null_character(value):
            raise _refuse()
        cleaned = clean(value, *args, **kwargs)
        # JSON text: an escaped NUL appears only in the parsed value.
        if has_null_character(cleaned):
            raise _refuse()
        return cleaned

    field.clean = guarded_clean
    field._lbk_null_guard = True


class NoNullCharacters:
    """Mixin for forms.Form and forms.ModelForm (before the Django base class)."""

    def full_clean(self):
        # Here rather than in __init__: forms add and replace fields in their own __init__.
        for field in self.fields.values():
            _guard(field)
        super().full_clean()
