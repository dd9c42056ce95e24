"""NUL bytes and undecodable input: a 400 (never a 500) for URLs and query strings, and the form's
own error message (keeping everything else typed) for form fields. Run on SQLite and on
PostgreSQL (which refuses NUL in text: there, without these checks, the lookups fail with 500)."""

import pytest
from django import forms
from django.test import Client
from django.urls import reverse

from accounts.models import Kelurahan
from cases.models import Case
from lbk.forms import NoNullCharacters
from tests.factories import make_case
from tests.form_posts import intake_post

pytestmark = pytest.mark.django_db

BAD_QUERIES = [
    "\x00",
    "a\x00b",
    "%00",  # percent-encoded in the URL: a NUL once decoded
    "x%00y",
]


def _get(client, path, query):
    """GET with a raw query string (the test client would re-encode a dict)."""
    return client.get(f"{path}?{query}")


def _assert_bad(r):
    assert r.status_code == 400, (r.status_code, r.content[:300])
    html = r.content.decode()
    assert "Alamat tidak dapat dibaca" in html  # Indonesian, plain
    assert "\x00" not in html and "%00" not in html


@pytest.fixture
def verify_client(db):
    """The verification page counts requests in the shared DB cache."""
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("createcachetable", verbosity=0)
    cache.clear()
    return Client()


@pytest.mark.parametrize(
    "token", ["\x00", "abc\x00def", "%00", "abc%00def", "%2500", "%ff%fe", "%c3%28"]
)
def test_verification_page_refuses_nul_and_undecodable_paths(verify_client, token):
    # The test client percent-decodes the path as a WSGI server does.
    path = "/verifikasi/" + token.replace("\x00", "%00") + "/"
    _assert_bad(verify_client.get(path))


@pytest.mark.parametrize("raw", [b"\xff\xfe", b"\xc3\x28", b"ab\x00"])
def test_verification_page_refuses_undecodable_bytes_from_the_server(verify_client, raw):
    """A WSGI server hands the path's bytes over as latin-1 text (PEP 3333)."""
    path = (b"/verifikasi/" + raw + b"/").decode("latin-1")
    _assert_bad(verify_client.request(PATH_INFO=path, REQUEST_METHOD="GET", QUERY_STRING=""))


def test_undecodable_query_string_bytes_from_the_server(verify_client):
    r = verify_client.request(
        PATH_INFO="/verifikasi/abc/",
        REQUEST_METHOD="GET",
        QUERY_STRING=b"x=\xff\xfe".decode("latin-1"),
    )
    _assert_bad(r)


def test_verification_page_still_answers_other_percent_signs(verify_client):
    assert verify_client.get("/verifikasi/caf%C3%A9/").status_code == 404


def test_verification_page_still_answers_normal_tokens(verify_client):
    assert verify_client.get("/verifikasi/tidak-ada/").status_code == 404


@pytest.fixture
def koordinator(personas):
    return personas.client("ws.koordinator")


@pytest.mark.parametrize("value", BAD_QUERIES)
@pytest.mark.parametrize("name", ["cases:procedure", "cases:procedure_pdf"])
def test_procedure_page_and_pdf_refuse_nul_in_kelurahan(koordinator, name, value):
    _assert_bad(_get(koordinator, reverse(name), f"kelurahan={value.replace(chr(0), '%00')}"))


def test_procedure_page_still_answers_a_normal_kelurahan(koordinator):
    assert _get(koordinator, reverse("cases:procedure"), "kelurahan=WS").status_code == 200
    assert _get(koordinator, reverse("cases:procedure"), "kelurahan=ZZ").status_code == 404


@pytest.mark.parametrize("query", ["q=%00", "q=abc%00", "%00=1", "q=1&%00x=2", "q=%ff%fe"])
def test_agency_inbox_search_refuses_nul_and_undecodable(personas, query):
    c = personas.client("dp3a.petugas")
    _assert_bad(_get(c, reverse("referrals:inbox"), query))
    assert _get(c, reverse("referrals:inbox"), "q=ABC").status_code == 200


def test_nul_in_any_page_or_for_anonymous_visitors(db):
    c = Client()
    _assert_bad(c.get("/accounts/login/%00/"))
    _assert_bad(_get(c, "/accounts/login/", "next=%00"))
    _assert_bad(_get(c, "/accounts/login/", "next=/home/%ff"))


def test_bad_request_page_follows_the_language_cookie(db):
    c = Client()
    c.cookies["django_language"] = "en"
    r = _get(c, "/accounts/login/", "next=%00")
    assert r.status_code == 400 and "The address cannot be read" in r.content.decode()
    assert r["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in r["Content-Security-Policy"]


def test_nul_in_a_cookie_is_refused(personas):
    c = personas.client("ws.koordinator")
    c.cookies["sessionid"] = "abc\x00def"
    r = c.get(reverse("home"))
    assert r.status_code == 400


# Form fields: the form's own message, everything else kept.

NUL_MSG = "Karakter null tidak diizinkan."


def _intake_with(key, value, **case):
    data = intake_post(
        victims=[{"full_name": "Nur Aisyah Tetap", "estimated_age": "9", "nik": ""}],
        narrative="Kronologi yang diketik tetap ada",
        **case,
    )
    data[key] = value
    return data


INTAKE_FIELDS = [
    # (field, value): every kind of field of the intake form that reaches the database.
    ("channel", "walk_in\x00"),  # ChoiceField
    ("kinds", ["violence", "\x00"]),  # MultipleChoiceField
    ("violence_types", ["physical\x00"]),  # MultipleChoiceField
    ("incident_date", "2026-01-01\x00"),  # DateField
    ("received_at", "\x00"),  # DateTimeField
    ("incident_place", "\x00"),
    ("reporter_relation", "neighbour\x00"),
    ("reporter_name", "Ibu \x00 Pelapor"),  # CharField
    ("danger_now", "no\x00"),
    ("intake_token", "\x00"),
    ("victims-0-sex", "F\x00"),
    ("victims-0-estimated_age", "9\x00"),  # IntegerField
    ("victims-0-nik", "7372011203150004\x00"),
    ("victims-0-birth_date", "2017-01-01\x00"),
    ("victims-0-full_name", "Nur \x00 Aisyah"),
]


@pytest.mark.parametrize(("key", "value"), INTAKE_FIELDS, ids=[k for k, _ in INTAKE_FIELDS])
def test_intake_form_answers_nul_with_the_form_error_and_keeps_the_rest(personas, key, value):
    c = personas.client("ws.relawan")
    r = c.post(reverse("cases:create"), _intake_with(key, value))
    assert r.status_code == 200, (r.status_code, r.content[:500])
    html = r.content.decode()
    assert "is-invalid" in html or "alert-danger" in html
    # What the user typed elsewhere is still there.
    assert "Kronologi yang diketik tetap ada" in html
    assert "Nur Aisyah Tetap" in html or key == "victims-0-full_name"
    assert not Case.objects.exists()


def test_intake_form_nul_in_a_text_field_names_the_null_character(personas):
    c = personas.client("ws.relawan")
    r = c.post(reverse("cases:create"), _intake_with("reporter_name", "Ibu \x00 Pelapor"))
    assert NUL_MSG in r.content.decode()


@pytest.mark.parametrize("key", ["channel", "incident_date", "victims-0-sex"])
def test_intake_form_nul_in_other_fields_gets_the_same_message(personas, key):
    c = personas.client("ws.relawan")
    r = c.post(reverse("cases:create"), _intake_with(key, "x\x00"))
    assert r.status_code == 200 and NUL_MSG in r.content.decode()


VISIT_FIELDS = [
    ("visit-kind", "home\x00"),  # ChoiceField
    ("visit-visited_on", "2026-01-05\x00"),  # DateField
    ("visit-next_visit_on", "\x00"),
    ("visit-victim", "\x00"),  # ModelChoiceField
    ("visit-version", "\x00"),  # IntegerField
    ("visit-text", "catatan \x00"),  # CharField
    ("visit-confidential", "\x00"),  # BooleanField
]


@pytest.mark.parametrize(("key", "value"), VISIT_FIELDS, ids=[k for k, _ in VISIT_FIELDS])
def test_procedure_step_form_answers_nul_with_the_form_error(personas, master, key, value):
    p = personas
    case = make_case(p, "handling")
    data = {
        "visit-kind": "home",
        "visit-visited_on": "2026-01-05",
        "visit-text": "Catatan kunjungan yang diketik",
    }
    data[key] = value
    r = p.client("ws.pendamping").post(f"/cases/{case.pk}/act/visit/", data)
    if key == "visit-confidential":
        # A checkbox: any value is "on"; nothing reaches the database as text.
        assert r.status_code == 302
        return
    assert r.status_code in (200, 400), (r.status_code, r.content[:500])
    html = r.content.decode()
    if key == "visit-version":
        # A hidden field: its error is in the summary at the top of the page, without a link.
        assert 'id="error-summary"' in html and NUL_MSG in html
    else:
        assert "is-invalid" in html
    if key != "visit-text":
        assert "Catatan kunjungan yang diketik" in html
    assert not case.events.filter(action="visit").exists()


class _EveryKind(NoNullCharacters, forms.Form):
    text = forms.CharField()
    choice = forms.ChoiceField(choices=[("a", "A"), ("b", "B")])
    typed = forms.TypedChoiceField(choices=[("1", "1")], coerce=int)
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")])
    model = forms.ModelChoiceField(queryset=Kelurahan.objects.all(), to_field_name="code")
    models = forms.ModelMultipleChoiceField(queryset=Kelurahan.objects.all(), required=False)
    day = forms.DateField()
    moment = forms.SplitDateTimeField()
    number = forms.IntegerField()
    data = forms.JSONField()
    uid = forms.UUIDField()
    keep = forms.CharField()


GOOD = {
    "text": "teks",
    "choice": "a",
    "typed": "1",
    "many": ["a", "b"],
    "model": "WS",
    "models": [],
    "day": "2026-01-05",
    "moment_0": "2026-01-05",
    "moment_1": "10:00",
    "number": "3",
    "data": '{"a": ["b"]}',
    "uid": "12345678-1234-5678-1234-567812345678",
    "keep": "tetap",
}
BAD = {
    "text": "te\x00ks",
    "choice": "a\x00",
    "typed": "\x00",
    "many": ["a", "\x00"],
    "model": "WS\x00",
    "models": ["1\x00"],
    "day": "2026-01-05\x00",
    "moment_0": "2026-01-05\x00",
    "number": "3\x00",
    "data": '{"a": ["b\\u0000"]}',  # valid JSON: NUL only once parsed
    "uid": "\x0012345678-1234-5678-1234-567812345678",
}


@pytest.mark.parametrize("field", sorted(BAD))
def test_every_field_type_answers_nul_with_the_null_character_error(master, field):
    from django.http import QueryDict

    q = QueryDict(mutable=True)
    for k, v in {**GOOD, field: BAD[field]}.items():
        q.setlist(k, v if isinstance(v, list) else [v])
    form = _EveryKind(q)
    assert not form.is_valid()
    name = "moment" if field.startswith("moment") else field
    assert form.errors[name] == ["Karakter null tidak diizinkan."], form.errors
    # Only that field is refused; everything else typed is cleaned and kept.
    assert set(form.errors) == {name}
    assert form.cleaned_data["keep"] == "tetap"
    assert form["keep"].value() == "tetap"


def test_the_good_data_of_every_field_type_is_valid(master):
    from django.http import QueryDict

    q = QueryDict(mutable=True)
    for k, v in GOOD.items():
        q.setlist(k, v if isinstance(v, list) else [v])
    form = _EveryKind(q)
    assert form.is_valid(), form.errors


def _project_form_classes():
    import importlib

    from django.contrib import admin

    for module in (
        "accounts.forms",
        "accounts.admin",
        "cases.forms.intake",
        "cases.forms.procedure",
        "cases.admin",
        "referrals.forms",
        "attachments.forms",
    ):
        importlib.import_module(module)
    seen, todo = set(), [forms.BaseForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    apps = ("accounts", "cases", "referrals", "attachments", "notifications", "ops", "lbk")
    classes = [c for c in seen if c.__module__.split(".")[0] in apps and c is not _EveryKind]
    return classes, admin.site._registry


def test_every_form_of_the_project_refuses_nul(rf, personas):
    classes, registry = _project_form_classes()
    assert len(classes) >= 15
    missing = sorted(
        f"{c.__module__}.{c.__qualname__}" for c in classes if not issubclass(c, NoNullCharacters)
    )
    assert missing == []
    # The Django admin's forms too (generated per model).
    request = rf.get("/admin/")
    request.user = personas["admin"]
    for model, model_admin in registry.items():
        if model._meta.app_label in ("accounts", "cases", "referrals", "attachments"):
            form = model_admin.get_form(request)
            assert issubclass(form, NoNullCharacters), model
