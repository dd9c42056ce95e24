"""Input attacks over every URL that exists: CSRF on every POST, stored XSS escaped everywhere."""

import pytest
from django.apps import apps
from django.db import models
from django.test import Client

from attachments.models import Attachment
from cases.models import AccessLog, Case, CaseEvent
from tests.test_access_matrix import build_data, params_for
from tests.urlwalk import all_routes

XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'"
XSS_SHORT = "<svg onload=1>"
RAW_MARKERS = ["<script>alert(1)", "<img src=x onerror", "<svg onload=1>"]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def data(personas, master, media):
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


def _text_fields(model):
    for f in model._meta.fields:
        if (
            isinstance(f, models.CharField | models.TextField)
            and not f.choices
            and not f.unique
            and f.name not in {"sha256", "content_type", "number", "action", "file"}
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
    for model in _case_models():
        if model in (AccessLog, CaseEvent):
            continue  # append-only (the trigger refuses UPDATE): a new event carries it below
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
