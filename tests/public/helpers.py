import re

from django.test import Client

GOOD = {
    "kind": "violence",
    "text": "Tetangga dipukul suaminya setiap malam.",
    "place": "RT 02/RW 03 dekat masjid",
    "affected": "other",
    "age_group": "adult",
    "danger_now": "no",
    "contact_how": "whatsapp",
    "contact_value": "081234567890",
    "contact_when": "Siang hari kerja",
}

TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')
CODE_RE = re.compile(r'<dd class="code">([^<]+)</dd>')


def token_of(client, code="wb"):
    r = client.get(f"/layanan/{code}/")
    assert r.status_code == 200
    return TOKEN_RE.search(r.content.decode()).group(1)


def send(client=None, code="wb", token=None, **fields):
    """Posts the public form (token from a fresh GET unless given); returns the response."""
    client = client or Client()
    data = {**GOOD, **fields}
    data["token"] = token if token is not None else token_of(client, code)
    return client.post(f"/layanan/{code}/", data)


def code_and_pin(response):
    found = CODE_RE.findall(response.content.decode())
    assert len(found) == 2, response.content.decode()[:2000]
    return found[0].strip(), found[1].strip()


def check(client, code, pin, token=None):
    """Posts the status check (token from a fresh GET of the status page unless given)."""
    if token is None:
        page = client.get("/layanan/cek/").content.decode()
        token = TOKEN_RE.search(page).group(1)
    return client.post("/layanan/cek/", {"code": code, "pin": pin, "token": token})
