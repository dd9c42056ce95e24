"""The public form and status check: no trace on the device, bad input, limits, the PIN lock."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from public_channel.models import Submission
from public_channel.services import CODE_ALPHABET

from .helpers import GOOD, TOKEN_RE, check, code_and_pin, send, token_of

pytestmark = pytest.mark.django_db


def public_responses(master):
    """One of each public page and answer: GET pages, a sent form, a refused form, a status."""
    c = Client()
    out = {
        "chooser": c.get("/layanan/"),
        "form": c.get("/layanan/wb/"),
        "form_en": c.get("/layanan/wb/?lang=en"),
        "emergency": c.get("/layanan/wb/darurat/"),
        "privacy": c.get("/layanan/wb/privasi/"),
        "status_get": c.get("/layanan/cek/"),
    }
    sent = send(c)
    out["sent"] = sent
    code, pin = code_and_pin(sent)
    out["bad_form"] = c.post("/layanan/wb/", {"token": token_of(c)})
    out["status_ok"] = check(c, code, pin)
    out["status_bad"] = check(c, code, "000000")
    out["not_found"] = c.get("/layanan/zz/")
    out["no_token"] = c.post("/layanan/wb/", {"kind": "violence"})
    out["post_to_a_get_page"] = c.post("/layanan/wb/darurat/", {})
    from public_channel import services

    limit = services.SUBMIT_PER_HOUR
    services.SUBMIT_PER_HOUR = 0
    try:
        out["limited"] = send(c)
    finally:
        services.SUBMIT_PER_HOUR = limit
    assert out["limited"].status_code == 429 and out["no_token"].status_code == 403
    return out


def test_no_cookie_no_store_no_external_and_quick_exit_first(master, settings):
    settings.PUBLIC_EXIT_URL = "https://cuaca.example.org/"
    for name, r in public_responses(master).items():
        assert "Set-Cookie" not in r.headers, name
        assert not r.cookies, name
        assert "no-store" in r["Cache-Control"], name
        if name == "post_to_a_get_page":
            continue  # Django's own refusal of a POST to a page without a form
        if name == "not_found":
            assert r.status_code == 404  # an unknown kelurahan: a public page all the same
        html = r.content.decode()
        # Only the quick-exit site is external.
        urls = re.findall(r'(?:href|src|action)="([^"]+)"', html)
        external = [u for u in urls if not u.startswith(("/", "tel:", "?", "#"))]
        assert external == ["https://cuaca.example.org/"], (name, external)
        assert not re.search(r'src="(?:https?:)?//', html), name
        # The quick exit is the first focusable element.
        body = html.split("<body>", 1)[1]
        first = re.search(r"<(a|button|input|select|textarea)\b[^>]*>", body)
        assert 'id="quick-exit"' in first.group(0), (name, first.group(0))
        assert 'href="https://cuaca.example.org/"' in first.group(0)
        # Neutral titles.
        title = re.search(r"<title>([^<]*)</title>", html).group(1)
        assert title.startswith(("Layanan Kelurahan", "Kelurahan services")), (name, title)


def test_form_fields_have_autocomplete_off_and_code_pin_never_in_a_url(master):
    c = Client()
    html = c.get("/layanan/wb/").content.decode()
    inputs = re.findall(r"<(?:input|textarea)\b[^>]*>", html)
    visible = [i for i in inputs if 'type="hidden"' not in i]
    assert visible and all('autocomplete="off"' in i for i in visible), visible
    sent = send(c)
    code, pin = code_and_pin(sent)
    status_page = c.get("/layanan/cek/").content.decode()
    assert 'method="post"' in status_page
    # A status check by GET with the code in the query string shows nothing about it.
    r = c.get(f"/layanan/cek/?code={code}&pin={pin}")
    assert r.status_code == 200
    assert "Status laporan" not in r.content.decode()
    for r in (sent, check(c, code, pin)):
        assert code not in r.get("Location", "")


def test_sent_form_makes_one_submission_with_code_and_hashed_pin(master):
    c = Client()
    token = token_of(c)
    r = send(c, token=token, danger_now="yes")
    assert r.status_code == 200
    code, pin = code_and_pin(r)
    sub = Submission.objects.get()
    assert sub.code == code and len(code) == 8 and set(code) <= set(CODE_ALPHABET)
    assert not set(code) & set("0O1IL")
    assert re.fullmatch(r"\d{6}", pin) and pin not in sub.pin_hash
    assert sub.kelurahan == master["wb"] and sub.danger_now and sub.state == "received"
    # Someone in danger: the emergency numbers come first, with tel: links.
    html = r.content.decode()
    assert html.index("tel:112") < html.index(code)
    for number in ("tel:110", "tel:119", "tel:129", "tel:08111129129"):
        assert number in html
    assert "bukan layanan darurat" in html
    # The same form sent again (back and send, double tap): no second submission, no code.
    again = send(c, token=token)
    assert again.status_code == 200
    assert Submission.objects.count() == 1
    assert "sudah terkirim" in again.content.decode().lower()
    assert not re.findall(r'<dd class="code">', again.content.decode())


@pytest.mark.parametrize(
    "fields,field,message",
    [
        ({"kind": "", "affected": "", "contact_how": ""}, "kind", "Pilih apa yang terjadi"),
        ({"text": "x" * 1001}, "text", "paling banyak 1000"),
        ({"text": "ada\x00nul"}, "text", ""),
        ({"contact_how": "call", "contact_value": ""}, "contact_value", "nomor"),
        ({"text": "", "place": ""}, "text", "Tuliskan"),
    ],
)
def test_bad_input_is_refused_clearly_and_keeps_what_was_typed(master, fields, field, message):
    c = Client()
    r = send(c, **fields)
    assert r.status_code == 400
    html = r.content.decode()
    assert Submission.objects.count() == 0
    assert f'id="id_{field}-err"' in html or f"id_{field}-err" in html, html[:3000]
    if message:
        assert message.lower() in html.lower()
    # What was typed is still in the form (except what was refused for a NUL byte).
    if "text" not in fields:
        assert GOOD["text"] in html
    if fields.get("place", GOOD["place"]):
        assert 'name="place" value="' + fields.get("place", GOOD["place"]) in html


def test_script_is_stored_and_shown_as_text(master, personas):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    r = send(text=payload, place=payload, contact_when=payload)
    assert r.status_code == 200
    sub = Submission.objects.get()
    assert sub.text == payload and sub.place == payload
    page = personas.client("wb.koordinator").get(f"/publik/{sub.pk}/").content.decode()
    assert payload not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_honeypot_and_time_check(master, settings):
    c = Client()
    r = send(c, website="http://spam.example")
    assert r.status_code == 400 and Submission.objects.count() == 0
    # A person's text is kept (as typed); the honeypot comes back empty.
    assert f">\n{GOOD['text']}</textarea>" in r.content.decode()
    assert "spam.example" not in r.content.decode()
    # Too fast (a robot posts at once): refused with a message, what was typed kept.
    settings.PUBLIC_FORM_MIN_SECONDS = 60
    r = send(c)
    assert r.status_code == 400 and Submission.objects.count() == 0
    assert "sangat cepat" in r.content.decode() and GOOD["text"] in r.content.decode()
    settings.PUBLIC_FORM_MIN_SECONDS = 0
    # No token, a forged one, or one of another kelurahan: refused, nothing stored.
    for token in ("forged:token", token_of(c, "ws")):
        r = send(c, token=token)
        assert r.status_code == 400, token
        assert GOOD["text"] in r.content.decode()
    # No token at all (a POST by hand): refused like a missing CSRF token.
    assert send(c, token="").status_code == 403
    assert c.post("/layanan/cek/", {"code": "ABCDEFGH", "pin": "123456"}).status_code == 403
    # An expired token (the form open for hours).
    settings.PUBLIC_FORM_MAX_SECONDS = -1
    r = send(c)
    assert r.status_code == 400 and "lama" in r.content.decode()
    assert Submission.objects.count() == 0


def test_flood_is_marked_never_refused(master):
    from public_channel.models import PublicSettings

    PublicSettings.objects.create(kelurahan=master["wb"], flood_per_day=2)
    responses = [send(Client()) for _ in range(4)]
    assert [r.status_code for r in responses] == [200] * 4
    flags = list(Submission.objects.order_by("pk").values_list("possible_flood", flat=True))
    assert flags == [False, False, True, True]


def test_size_limit(master):
    c = Client()
    r = send(c, text="x" * 40_000)
    assert r.status_code == 413 and Submission.objects.count() == 0
    assert "terlalu panjang" in r.content.decode()


def test_address_limit_never_blocks_the_emergency_numbers(master, monkeypatch):
    from public_channel import services

    monkeypatch.setattr(services, "SUBMIT_PER_HOUR", 1)
    c = Client()
    assert send(c).status_code == 200
    r = send(c)
    assert r.status_code == 429
    assert "tel:112" in r.content.decode()  # the numbers, even when limited
    assert Submission.objects.count() == 1
    for _ in range(5):
        assert c.get("/layanan/wb/darurat/").status_code == 200


def test_status_shows_only_the_submission_status_and_templates(master, personas):
    from public_channel import services
    from public_channel.models import Message

    c = Client()
    code, pin = code_and_pin(send(c, affected="self"))
    sub = Submission.objects.get()
    r = check(c, code.lower(), pin)
    html = r.content.decode()
    assert r.status_code == 200
    assert 'aria-current="step" class="now">Diterima' in html
    # Nothing of the submission's content or the case is shown.
    assert GOOD["text"] not in html and GOOD["contact_value"] not in html
    koor = personas["wb.koordinator"]
    services.mark_read(sub, koor)
    services.add_message(sub.pk, koor, Message.Template.WILL_CONTACT)
    with pytest.raises(services.Refused):
        services.add_message(sub.pk, koor, Message.Template.FREE, "Datang besok jam 9")
    services.add_message(sub.pk, koor, Message.Template.FREE, "Datang besok jam 9", True)
    html = check(c, code, pin).content.decode()
    assert 'aria-current="step" class="now">Dibaca posko' in html
    assert "Datang besok jam 9" in html
    assert "Posko akan menghubungi" in html
    # Declined (as spam) or registered: the sender sees only "followed up".
    services.decline(sub.pk, koor, "spam", "Iklan")
    html = check(c, code, pin).content.decode()
    assert 'aria-current="step" class="now">Ditindaklanjuti' in html
    assert "spam" not in html.lower() and "Iklan" not in html


def test_free_text_only_for_the_person_affected(master, personas):
    from public_channel import services
    from public_channel.models import Message

    send(affected="other")
    sub = Submission.objects.get()
    with pytest.raises(services.Refused) as e:
        services.add_message(sub.pk, personas["wb.koordinator"], Message.Template.FREE, "Hai", True)
    assert "orang yang mengalami" in str(e.value) or "person affected" in str(e.value)


def test_wrong_pin_locks_the_code_for_a_day_whatever_the_address(master, personas):
    c = Client()
    code, pin = code_and_pin(send(c))

    def answer(r):
        return TOKEN_RE.sub("", r.content.decode())

    wrong_code = answer(check(c, "ZZZZZZZZ", pin))
    answers = set()
    for i in range(5):
        r = check(Client(REMOTE_ADDR=f"10.0.0.{i + 1}"), code, "111111")
        assert r.status_code == 400
        answers.add(answer(r))
    # A wrong code and a wrong PIN give the same answer.
    assert answers == {wrong_code}
    sub = Submission.objects.get()
    assert sub.locked and sub.locked_until > timezone.now() + timedelta(hours=23)
    # Locked: even the right PIN gets the same answer, from any address.
    r = check(Client(REMOTE_ADDR="10.9.9.9"), code, pin)
    assert r.status_code == 400 and answer(r) == wrong_code
    # The coordinator sees it in the queue and may unlock it.
    koor = personas.client("wb.koordinator")
    assert "1 kode terkunci" in koor.get("/publik/").content.decode()
    koor.post(f"/publik/{sub.pk}/unlock/")
    assert check(c, code, pin).status_code == 200
    # After 24 hours the lock ends by itself.
    Submission.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    assert check(c, code, pin).status_code == 200
