"""Nothing personal in logs; error pages in Indonesian that leak nothing.

Decision on django.db.backends and django.template: their DEBUG records carry case data by design
(SQL statements with their parameters; whole template contexts on a missing variable). LOGGING
pins them (WARNING, INFO) whatever LOG_LEVEL says, and Django emits SQL records only with DEBUG
on; this test asserts those pins and captures every other logger at DEBUG, instead of capturing
those two at DEBUG (which would "find" every sentinel in every INSERT).
"""

import io
import logging

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.security import RedactFilter, redact
from attachments.models import Attachment
from cases.models import Case
from tests.form_posts import intake_post
from tests.test_access_matrix import fast_pdfs  # noqa: F401
from tests.uploads import PDF_BYTES, upload
from tests.urlwalk import all_routes

from . import urls_probe  # noqa: F401  (the failing view used below)

NAME = "Zulaikha Sentinelwati"
NIK = "7372015512990004"
PHONE = "081299887766"
NARRATIVE = "Narasi-sentinel: dipukul di dapur oleh pamannya"
SENTINELS = [NAME, NIK, PHONE, NARRATIVE, "Sentinelwati", "Narasi-sentinel"]


def test_database_query_and_template_debug_logging_stay_off():
    assert settings.DEBUG is False
    for name, floor in [("django.db.backends", logging.WARNING), ("django.template", logging.INFO)]:
        level = settings.LOGGING["loggers"][name]["level"]
        assert logging.getLevelName(level) >= floor
        assert logging.getLogger(name).getEffectiveLevel() >= floor


def test_console_handler_redacts():
    handler_cfg = settings.LOGGING["handlers"]["console"]
    assert "redact" in handler_cfg["filters"]
    assert redact(f"NIK {NIK} telp {PHONE} id 12 ts 1700000000") == (
        "NIK [number] telp [number] id 12 ts 1700000000"
    )
    assert "3201" not in redact("DETAIL:  Key (nik)=(3201999999999999) already exists.")


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def capture_all_logs(settings):
    """Every logger at DEBUG (django.db.backends excepted, see the module docstring); the real
    console handler of settings.LOGGING writes into a buffer, a raw handler keeps the records."""
    root = logging.getLogger()
    console = next(h for h in root.handlers if any(isinstance(f, RedactFilter) for f in h.filters))
    buffer = io.StringIO()
    old_stream = console.setStream(buffer)
    raw = _Capture()
    root.addHandler(raw)
    names = [
        "",
        "django",
        "django.request",
        "django.security",
        "django.server",
        "lbk",
        "lbk.security",
        "cases",
        "attachments",
        "referrals",
        "py.warnings",
    ]
    old = {n: logging.getLogger(n).level for n in names}
    old_console = console.level
    console.setLevel(logging.DEBUG)
    for n in names:
        logging.getLogger(n).setLevel(logging.DEBUG)
    yield buffer, raw
    for n, lvl in old.items():
        logging.getLogger(n).setLevel(lvl)
    console.setLevel(old_console)
    console.setStream(old_stream)
    root.removeHandler(raw)


def test_full_flow_leaves_no_personal_data_in_logs(
    personas,
    master,
    settings,
    tmp_path,
    capture_all_logs,
    fast_pdfs,  # noqa: F811
):
    buffer, raw = capture_all_logs
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.ROOT_URLCONF = "tests.security.urls_probe"
    settings.ADMINS = [("Operator", "ops@example.org")]

    # A victim's name typed into the username field by mistake.
    Client().post(reverse("login"), {"username": NAME, "password": NIK})
    # The volunteer logs in (a real login) and the case is registered.
    c = Client()
    r = c.post(reverse("login"), {"username": "ws.koordinator", "password": personas.password})
    assert r.status_code == 302
    # The volunteer registers the complaint through the intake form.
    volunteer = Client()
    volunteer.post(reverse("login"), {"username": "ws.relawan", "password": personas.password})
    r = volunteer.post(
        reverse("cases:create"),
        intake_post(
            victims=[{"full_name": NAME, "nik": NIK, "phone": PHONE, "estimated_age": "9"}],
            narrative=NARRATIVE,
            reporter_name=NAME + " Ibu",
            reporter_contact=PHONE,
        ),
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    case = Case.objects.get()
    assert case.victims.get().nik == NIK
    volunteer.get(reverse("cases:detail", args=[case.pk]))
    # An attachment named and described with the sentinels, then downloaded.
    r = c.post(
        reverse("attachments:case", kwargs={"case_pk": case.pk}),
        {"file": upload(f"{NAME} {NIK}.pdf", PDF_BYTES), "description": NARRATIVE},
    )
    assert r.status_code == 302
    att = Attachment.objects.get()
    assert c.get(reverse("attachments:download", args=[att.pk])).status_code == 200
    # Every page that exists, as the coordinator and the companion.
    comp = personas.client("ws.pendamping")
    from tests.test_access_matrix import build_data, params_for

    data = {**build_data(personas, master, None), "ws_case": case, "attachment": att}
    for route in all_routes():
        if route.key in ("probe", "boom"):
            continue
        path = route.build(params_for(route, data, personas))
        c.get(path)
        comp.get(path)
    # A form with case data refused for want of a CSRF token; a 404 with the NIK in the path
    # and the query; a server error while handling a form with case data.
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(personas["ws.koordinator"])
    strict.post(reverse("attachments:case", kwargs={"case_pk": case.pk}), {"description": NAME})
    c.get(f"/cases/{NIK}/?q={NAME}")
    crash = Client(raise_request_exception=False)
    crash.force_login(personas["ws.koordinator"])
    r = crash.post("/boom/", {"victim": NAME, "nik": NIK, "narrative": NARRATIVE})
    assert r.status_code == 500
    # An error reported by e-mail to the operator.
    assert mail.outbox, "the 500 should be mailed to ADMINS"

    output = buffer.getvalue()
    assert "login failed user#" in output
    assert "Internal Server Error: /boom/" in output
    assert "Not Found" in output
    assert "RuntimeError: deliberate failure" in output
    for s in SENTINELS:
        assert s not in output, f"{s!r} in the log output"
    # Even before redaction, no record carries the names or the narrative.
    raw_text = "\n".join(r.getMessage() for r in raw.records)
    for s in [NAME, NARRATIVE, "Sentinelwati"]:
        assert s not in raw_text
    for m in mail.outbox:
        text = m.body + "".join(str(a[0]) for a in getattr(m, "alternatives", []))
        for s in SENTINELS:
            assert s not in text, f"{s!r} in the error mail"


@pytest.mark.parametrize("lang_cookie", [None])
def test_error_pages_in_indonesian_leak_nothing(personas, settings, lang_cookie):
    settings.ROOT_URLCONF = "tests.security.urls_probe"
    settings.DEBUG = False
    c = Client(raise_request_exception=False)
    c.force_login(personas["ws.koordinator"])

    r = c.post("/boom/", {"victim": NAME})
    body = r.content.decode()
    assert r.status_code == 500
    assert "Terjadi kesalahan" in body or "kesalahan" in body.lower()
    for leak in ["deliberate failure", "Traceback", "RuntimeError", NAME, "urls_probe"]:
        assert leak not in body

    r = c.get(f"/cases/{NIK}/?nama={NAME}")
    body = r.content.decode()
    assert r.status_code == 404
    assert "Halaman tidak ditemukan" in body
    assert NAME not in body
    # The path the user typed comes back only as the language switch's return address.
    assert body.count(NIK) == 1 and f'name="next" type="hidden" value="/cases/{NIK}/"' in body

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(personas["ws.koordinator"])
    r = strict.post("/probe/", {"victim": NAME})
    body = r.content.decode()
    assert r.status_code == 403
    assert "Tidak diizinkan" in body
    assert NAME not in body and "CSRF" not in body
