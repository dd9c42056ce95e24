"""The kelurahan's letter-number format is checked when saved, against the same placeholders the
letter numbering fills in (accounts.letter_numbers): an approval never fails on a saved format."""

import datetime as dt
import string

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.utils import translation

from accounts import letter_numbers
from accounts.models import Kelurahan
from referrals.services import format_letter_number

DAY = dt.date(2026, 11, 5)


@pytest.fixture
def admin_client(personas):
    admin = personas["admin"]
    admin.is_staff = True
    admin.save()
    return personas.client("admin")


def _post(client, kel, **changes):
    data = {k: ("" if v is None else v) for k, v in model_to_dict(kel).items()}
    data.pop("id", None)
    data.update(changes)
    return client.post(f"/admin/accounts/kelurahan/{kel.pk}/change/", data)


@pytest.mark.parametrize(
    "fmt",
    [
        "{nomor}/LBK-KK/{kode}/{tahun}",  # unknown placeholder
        "{seq:03d}/{kode}/{Tahun}",
        "{seq:03d}/{kode/{tahun}",  # unbalanced
        "{seq:03d}/{kode}/{tahun}}",
        "{seq:03d}/{kode:>5}/{tahun}",  # a format spec on text
        "{seq!r}/{kode}",  # a conversion
        "{seq.real}/{kode}",  # attribute access
        "{seq:{kode}}",  # nested placeholder
        "{seq:xyz}/{kode}",  # not a number format
        "LBK-KK/{kode}/{tahun}",  # no {seq}
        "{}/{kode}",  # positional
        "{0}/{kode}",
    ],
)
def test_admin_refuses_a_bad_format_and_saves_nothing(admin_client, master, fmt):
    kel = master["ws"]
    before = kel.letter_number_format
    r = _post(admin_client, kel, letter_number_format=fmt)
    assert r.status_code == 200  # the form again, with the error
    html = r.content.decode()
    assert "errorlist" in html
    assert "Contoh: {seq:03d}/LBK-KK/{kode}/{bulan_romawi}/{tahun} menjadi 007/LBK-KK/WS/" in html
    kel.refresh_from_db()
    assert kel.letter_number_format == before


def test_admin_names_the_unknown_placeholder(admin_client, master):
    r = _post(admin_client, master["ws"], letter_number_format="{nomor}/{seq}")
    assert "Tempat isian tidak dikenal {nomor}" in r.content.decode()


@pytest.mark.parametrize(
    "fmt",
    [
        "{klasifikasi}/{seq:03d}/LBK-KK/{kode}/{bulan_romawi}/{tahun}",
        "{seq}/{kode}/{bulan}/{tahun}",
        "{seq:04d}/PPA/{kode}/{tahun}",
        "LBK {{{seq:03d}}} {kode}",  # printed braces
    ],
)
def test_admin_saves_a_valid_format(admin_client, master, fmt):
    kel = master["ws"]
    r = _post(admin_client, kel, letter_number_format=fmt, letter_classification="400.9")
    assert r.status_code == 302, r.content.decode()[:3000]
    kel.refresh_from_db()
    assert kel.letter_number_format == fmt
    # And the letters of that kelurahan can be numbered with it.
    assert format_letter_number(kel, 7, DAY, False)
    assert format_letter_number(kel, 7, DAY, True)


def test_format_using_the_classification_needs_one(admin_client, master):
    kel = master["ws"]
    fmt = "{klasifikasi}/{seq:03d}/{kode}"
    r = _post(admin_client, kel, letter_number_format=fmt, letter_classification="")
    assert r.status_code == 200
    assert "kode klasifikasi arsip" in r.content.decode()
    kel.refresh_from_db()
    assert kel.letter_number_format != fmt


def test_admin_shows_the_placeholders_and_an_example(admin_client, master):
    kel = master["ws"]
    html = admin_client.get(f"/admin/accounts/kelurahan/{kel.pk}/change/").content.decode()
    for p in letter_numbers.PLACEHOLDERS:
        assert "{" + p + "}" in html
    # The example of this kelurahan's saved format, rendered.
    assert kel.letter_number_example() in html
    assert kel.letter_number_example().startswith("007/LBK-KK/WS/")


def test_the_formatter_fills_exactly_the_placeholders_the_validator_allows():
    fields = letter_numbers.values(seq=1, kode="WS", day=DAY)
    assert tuple(fields) == letter_numbers.PLACEHOLDERS
    every = "/".join("{" + p + "}" for p in letter_numbers.PLACEHOLDERS)
    letter_numbers.validate_format(every)
    assert letter_numbers.render(every, seq=7, kode="WS", day=DAY, klasifikasi="400.9") == (
        "7/WS/XI/11/2026/400.9"
    )
    assert letter_numbers.example(day=DAY) == "007/LBK-KK/WS/XI/2026"


@pytest.mark.parametrize(
    "fmt",
    [
        "{seq}",
        "{seq:03d}/{kode}",
        "{nomor}",
        "{seq:03d}/{kode:5}",
        "{seq:03d}}",
        "{kode}",
        "{seq!s}",
        "{seq:{tahun}}",
        "{seq:03x}-{bulan}",
        "{seq:,}",
        "{seq:q}",
        "x{seq}" + "y" * 80,
    ],
)
def test_validator_and_formatter_agree(master, fmt):
    """Whatever the validator accepts, every letter (real or role-play) can be numbered with."""
    kel = Kelurahan(code="WS", letter_number_format=fmt, letter_classification="400.9")
    try:
        letter_numbers.validate_format(fmt)
    except ValidationError:
        accepted = False
    else:
        accepted = True
    if accepted:
        for roleplay in (False, True):
            number = format_letter_number(kel, 12345, DAY, roleplay)
            assert len(number) <= letter_numbers.MAX_LENGTH
    else:
        # Refused: a format that is broken, unknown or too long for the letter number field.
        try:
            names = {n for _l, n, _s, _c in string.Formatter().parse(fmt) if n is not None}
            number = format_letter_number(kel, 12345, DAY, False)
        except (ValueError, KeyError, IndexError, AttributeError, TypeError):
            return
        assert (
            "seq" not in names
            or len(number) > letter_numbers.MAX_LENGTH
            or names - set(letter_numbers.PLACEHOLDERS)
            or fmt.count(":") > int("{seq:" in fmt)
            or "!" in fmt
        ), fmt


def test_error_message_in_the_language_of_the_page():
    with pytest.raises(ValidationError) as e:
        letter_numbers.validate_format("{nomor}/{seq}")
    with translation.override("id"):
        assert e.value.messages[0].startswith("Tempat isian tidak dikenal {nomor}. Yang boleh:")
    with translation.override("en"):
        msg = e.value.messages[0]
    assert "Unknown placeholder {nomor}" in msg
    assert "Example: {seq:03d}/LBK-KK/{kode}/{bulan_romawi}/{tahun} gives 007/LBK-KK/WS/" in msg
