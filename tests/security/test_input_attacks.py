"""Input attacks over every URL that exists: CSRF on every POST, stored XSS escaped everywhere."""

import pytest
from django.apps import apps
from django.db import models
from django.test import Client

from attachments.models import Attachment
from cases.models import Case, CaseEvent, append_only_tables
from cases.vocab import Status as S
from lbk import pdf
from tests.factories import record
from tests.test_access_matrix import build_data, fast_pdfs, media, params_for  # noqa: F401
from tests.urlwalk import all_routes

XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'"
XSS_SHORT = "<svg onload=1>"
RAW_MARKERS = ["<script>alert(1)", "<img src=x onerror", "<svg onload=1>"]


@pytest.fixture
def data(personas, master, media):  # noqa: F811
    return build_data(personas, master, media)


@pytest.mark.parametrize("who", [None, "ws.koordinator"])
def test_every_post_without_csrf_token_is_refused(personas, data, who):
    """Every URL pattern, anonymous and logged in: a POST without a token gets 403 (Indonesian)."""
    c = Client(enforce_csrf_checks=True)
    if who:
        c.force_login(personas[who])
    failures = []
    for route in all_routes():
        path = route.build(params_for(route, data, personas))
        r = c.post(path, {"anything": "1"})
        if r.status_code != 403:
            failures.append(f"{route.key} {path}: {r.status_code}")
        elif "Tidak diizinkan" not in r.content.decode():
            failures.append(f"{route.key} {path}: 403 page not the Indonesian one")
    assert not failures, "\n".join(failures)


# Codes, hashes, tokens and generated numbers: not typed by anyone.
NOT_FREE_TEXT = ("sha256", "token", "number", "content_type", "action", "file", "nip")


def _text_fields(model):
    for f in model._meta.fields:
        if (
            isinstance(f, models.CharField | models.TextField)
            and not f.choices
            and not f.unique
            and not any(part in f.name for part in NOT_FREE_TEXT)
            and not isinstance(f, models.FileField)
        ):
            yield f


def _case_models():
    """Every model of case data: Case itself and every model with a foreign key to it."""
    out = [Case]
    for m in apps.get_models():
        if m is Case or m._meta.label_lower.startswith("cases.historical"):
            continue
        if any(
            isinstance(f, models.ForeignKey) and f.related_model is Case for f in m._meta.fields
        ):
            out.append(m)
    return out


def plant_xss():
    """Write the payload into every free-text field of every case-data row."""
    planted = []
    append_only = set(append_only_tables())
    for model in _case_models():
        if model._meta.db_table in append_only:
            continue  # the trigger refuses UPDATE: new rows carry the payload below
        for f in _text_fields(model):
            value = XSS if (f.max_length or 10_000) >= len(XSS) else XSS_SHORT
            if (f.max_length or 10_000) < len(XSS_SHORT):
                continue
            if model._base_manager.exists():
                model._base_manager.update(**{f.name: value})
                planted.append(f"{model._meta.label}.{f.name}")
    for case in Case.objects.all():
        CaseEvent.objects.create(
            case=case,
            kelurahan=case.kelurahan,
            kind=CaseEvent.Kind.EDIT,
            actor=case.registered_by,
            note=XSS,
        )
    # New assessments and visits, through the procedure, on the cases that take them.
    for case in Case.objects.filter(status__in=[S.ASSESSMENT, S.HANDLING, S.MONITORING]):
        for victim in case.victims.all():
            record(case, "assess", case.companion, victim=victim, needs=["health"], note=XSS)
            record(case, "visit", case.companion, victim=victim, kind="home", text=XSS)
    planted += ["cases.Assessment.note", "cases.Visit.text"]
    return planted


def test_stored_xss_is_escaped_on_every_page(personas, data):
    planted = plant_xss()
    assert "cases.Victim.full_name" in planted and "cases.Case.narrative" in planted
    assert "attachments.Attachment.description" in planted
    assert "attachments.Attachment.original_name" in planted
    seen_escaped = False
    failures = []
    for who in ["ws.relawan", "ws.pendamping", "ws.koordinator", "admin"]:
        c = personas.client(who)
        for route in all_routes():
            path = route.build(params_for(route, data, personas))
            r = c.get(path)
            if r.get("Content-Type", "").startswith("text/html") and not r.streaming:
                body = r.content.decode()
                for marker in RAW_MARKERS:
                    if marker in body:
                        failures.append(f"{route.key} as {who}: raw {marker!r}")
                seen_escaped |= "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert not failures, "\n".join(failures)
    assert seen_escaped  # the payload was really rendered somewhere (attachments page)


def test_download_name_with_markup_is_safe(personas, data):
    att = data["attachment"]
    Attachment.objects.filter(pk=att.pk).update(original_name='a"; filename="evil.html')
    r = personas.client("ws.koordinator").get(f"/attachments/{att.pk}/download/")
    cd = r["Content-Disposition"]
    assert cd.startswith("attachment;")
    assert 'filename="evil.html"' not in cd


def _pdf_text(pdf):
    import io

    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def _share_everything(referral):
    from cases import vocab
    from referrals.models import Referral

    every = list(vocab.SharedField.values)
    Referral.objects.filter(pk=referral.pk).update(shared_fields=every, letter_shared_fields=every)
    referral.victim.consents.filter(purpose="share").update(shared_fields=every)
    referral.refresh_from_db()
    return referral


def test_letter_pdf_shows_markup_as_text_and_fetches_nothing(personas, data):
    """Stored XSS in the letter: the payload is printed as text, never interpreted; a case text
    naming a URL or a local file never makes the renderer fetch it."""
    from referrals import letters

    hostile = (
        'Lihat <img src="http://127.0.0.1:9/track.png"> <link rel="stylesheet" '
        'href="file:///etc/passwd"> <iframe src="https://evil.example/"></iframe> ' + XSS
    )
    referral = _share_everything(data["referral"])
    plant_xss()
    Case.objects.filter(pk=referral.case_id).update(narrative=hostile)
    from cases.models import Victim

    Victim.objects.filter(pk=referral.victim_id).update(full_name=XSS_SHORT + " Siti")
    referral.refresh_from_db()
    fetched = []
    text = _pdf_text(letters.render_letter_pdf(referral, fetched=fetched))
    assert all(u.startswith(pdf.STATIC_PREFIX) for u in fetched), fetched
    assert not any("127.0.0.1" in u or "etc/passwd" in u or "evil" in u for u in fetched)
    flat = " ".join(text.split())
    assert "<script>alert(1)</script>" in flat.replace(" ", "") or "alert(1)" in flat
    assert "<svg onload=1>" in flat  # the victim's name, printed literally
    assert "track.png" in flat  # the URL is shown as text, not loaded
