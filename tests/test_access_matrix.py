"""The access matrix: every URL pattern of the project x every persona of ROLES.md (and anonymous).

Each GET answer is checked against MATRIX below. A URL pattern without an entry FAILS the build:
whoever adds a URL declares who may open it. Path parameters are filled from real objects built
in `build_data` (a WS case registered by ws.relawan and assigned to ws.pendamping, a WB case, an
attachment...): add what a new URL needs there, and name its parameters in PARAMS.

The walk also checks, for every URL and persona:
- no case model row changes on GET (only the access log and sessions may);
- a victim's name never reaches a persona without a reason to see it (the admin sees no case
  content anywhere, the Django admin included).
"""

import datetime
import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import ForeignKey

from accounts.models import Agency, Kelurahan, Membership, User
from cases.models import Case
from tests.factories import give_consent, make_case, make_referral, plan_action, record
from tests.uploads import PDF_BYTES, upload
from tests.urlwalk import all_routes, check_resolves

# Persona groups (ROLES.md). The WS case is registered by ws.relawan, assigned to ws.pendamping.
GROUPS = {
    "anon": [None],
    "ws_relawan": ["ws.relawan"],  # registered it: intake data and status only
    "ws_pendamping": ["ws.pendamping"],  # its companion: the full record
    "ws_pendamping2": ["ws.pendamping2"],  # companion of other cases: nothing
    "ws_wide": ["ws.koordinator", "ws.kasikesra", "ws.lurah"],  # the whole kelurahan
    "wb": [
        "wb.relawan",
        "wb.pendamping",
        "wb.pendamping2",
        "wb.koordinator",
        "wb.kasikesra",
        "wb.lurah",
    ],
    "uptd": ["uptdppa.petugas"],  # addressee of the WS case's referral (once referrals exist)
    "other_agency": ["dp3a.petugas", "dinsos.petugas"],
    "kota": ["kota.analis"],  # aggregates of the kota only: no case, referral or personal data
    "admin": ["admin"],
}

LOGIN = "login"  # 302 to the login page
ADMIN_LOGIN = "admin_login"  # 302 to the Django admin's login page
REDIRECT = "redirect"  # 302 anywhere


def row(anon=LOGIN, *, personas=None, **groups):
    """Expected answer per group; `default` fills the groups not named; `personas` overrides
    single personas (e.g. {"wb.koordinator": 200})."""
    default = groups.pop("default", None)
    out = {g: groups.get(g, default) for g in GROUPS}
    out["anon"] = anon
    missing = [g for g, v in out.items() if v is None]
    assert not missing, missing
    out.update(personas or {})
    return out


LOGGED_IN = row(default=200)
# Pages of aggregates: kelurahan-wide roles, the kota analyst and agency officers (suppressed).
REPORT_READERS = row(
    default=404,
    ws_wide=200,
    uptd=200,
    other_agency=200,
    kota=200,
    personas={f"wb.{r}": 200 for r in ("koordinator", "kasikesra", "lurah")},
)
# The full case record: the companion and the kelurahan-wide roles; everyone else 404.
CASE_FULL = row(default=404, ws_pendamping=200, ws_wide=200)
CASE_INTAKE = row(default=404, ws_relawan=200, ws_pendamping=200, ws_wide=200)
# A POST-only endpoint (state change) answers GET with 405 to every logged-in persona.
POST_ONLY = row(default=405)
KELURAHAN_MEMBERS = row(default=200, uptd=404, other_agency=404, kota=404, admin=404)
WIDE_ROLES = ["koordinator", "kasikesra", "lurah"]
KELURAHAN_WIDE = row(default=404, ws_wide=200, personas={f"wb.{r}": 200 for r in WIDE_ROLES})
PEOPLE_MANAGERS = row(
    default=404, ws_wide=200, admin=200, personas={f"wb.{r}": 200 for r in WIDE_ROLES}
)
# Django admin pages: only the application admin; others are sent to the admin's login.
# (The admin's index and login are public; its model pages are closed by LoginRequiredMiddleware.)
ADMIN_PAGE = row(anon=ADMIN_LOGIN, default=ADMIN_LOGIN, admin=200)
ADMIN_MODEL_PAGE = row(anon=LOGIN, default=ADMIN_LOGIN, admin=200)
ADMIN_DELETE = row(anon=LOGIN, default=ADMIN_LOGIN, admin=403)  # nothing is ever deleted
ADMIN_FORBIDDEN = row(anon=LOGIN, default=ADMIN_LOGIN, admin=403)

MATRIX = {
    # accounts
    "root": row(anon=LOGIN, default=REDIRECT),
    "home": LOGGED_IN,
    "login": row(anon=200, default=REDIRECT),
    "logout": row(anon=LOGIN, default=405),  # POST only
    "logout_everywhere": row(anon=LOGIN, default=405),  # POST only
    # The health endpoint answers loopback (the test client's address) whoever asks; any other
    # address gets 404 (tests/ops/test_health.py).
    "health": row(anon=200, default=200),
    "password_change": LOGGED_IN,
    "password_change_done": LOGGED_IN,
    "lockouts": KELURAHAN_WIDE,
    # The people of the places one manages (accounts/grants.py): the kelurahan-wide roles, and
    # the application admin (the lurah role and the kota- and agency-level rows of the table).
    "people": PEOPLE_MANAGERS,
    "account_audit": PEOPLE_MANAGERS,
    "people_invite": PEOPLE_MANAGERS,
    # ws.relawan's page: the managers of Watang Soreang and the admin; WB's managers 404
    "people_person": row(default=404, ws_wide=200, admin=200),
    "people_give": POST_ONLY,
    "people_end_all": POST_ONLY,
    "people_deactivate": POST_ONLY,
    "people_end_membership": POST_ONLY,
    "people_withdraw_invitation": POST_ONLY,
    # Invitations: public, like the password reset (an unknown link is 404).
    "invitation_code": row(anon=200, default=200),
    "invitation_accept": row(anon=404, default=404),
    "people_reset_password": POST_ONLY,
    "people_reset_second_factor": POST_ONLY,
    "people_exempt": POST_ONLY,
    # Set-up: anyone logged in (it makes an unconfirmed device); the code page sends a person
    # without a device home.
    "two_factor_setup": LOGGED_IN,
    "two_factor_verify": row(default=REDIRECT),
    # Password reset: public (ROLES.md), and open to a logged-in person as well.
    "password_reset": row(anon=200, default=200),
    "password_reset_sent": row(anon=200, default=200),
    "password_reset_code": row(anon=200, default=200),
    "password_reset_complete": row(anon=200, default=200),
    "password_reset_confirm": row(anon=404, default=404),  # an unknown link
    "resubmit": row(default=REDIRECT),  # nothing saved: back home
    "set_language": row(anon=REDIRECT, default=REDIRECT),  # GET changes nothing
    # cases: records (intake, list, case page, corrections, access log)
    "cases:list": KELURAHAN_MEMBERS,
    "cases:create": KELURAHAN_MEMBERS,
    "cases:detail": CASE_INTAKE,  # the volunteer who registered it: intake data and status
    "cases:edit": CASE_FULL,  # the volunteer only until a companion is assigned (it is here)
    "cases:history": CASE_FULL,  # the whole timeline and the change history
    "cases:access_log": KELURAHAN_WIDE,
    # cases: procedure (the WS case is "received": its open step is "assign", for deciders)
    "cases:act": row(default=404, ws_wide=200),
    "cases:tasks": LOGGED_IN,
    "cases:dashboard": KELURAHAN_WIDE,
    "cases:procedure": KELURAHAN_MEMBERS,
    "cases:procedure_pdf": KELURAHAN_MEMBERS,
    # referrals (the WS case's referral to UPTD PPA is approved: its letter is issued)
    "referrals:queue": row(  # approvals wait for the kasi kesra and the lurah
        default=404,
        personas={f"{k}.{r}": 200 for k in ("ws", "wb") for r in ("kasikesra", "lurah")},
    ),
    "referrals:inbox": row(default=404, uptd=200, other_agency=200),  # each its own agency's
    "referrals:register": KELURAHAN_WIDE,
    "referrals:register_csv": KELURAHAN_WIDE,
    "referrals:detail": row(default=404, ws_pendamping=200, ws_wide=200, uptd=200),
    "referrals:letter": row(default=404, ws_pendamping=200, ws_wide=200, uptd=200),
    "referrals:edit": row(default=404),  # approved: no longer editable by anyone
    "referrals:step": POST_ONLY,
    "referrals:start": POST_ONLY,
    # emergency referral: the companion and the coordinator (PROCEDURE.md)
    "referrals:emergency": row(default=404, ws_pendamping=200, personas={"ws.koordinator": 200}),
    "referrals:verify": row(anon=200, default=200),  # public, no personal data
    # The public complaint channel: public pages for everyone (no login, no cookie); the
    # coordinator's queue and the submissions of their own kelurahan; the poster for the
    # kelurahan-wide roles (tests/public).
    "public:chooser": row(anon=200, default=200),
    "public:form": row(anon=200, default=200),
    "public:emergency": row(anon=200, default=200),
    "public:privacy": row(anon=200, default=200),
    "public:status": row(anon=200, default=200),
    "public:queue": row(default=404, personas={"ws.koordinator": 200, "wb.koordinator": 200}),
    "public:detail": row(default=404, personas={"ws.koordinator": 200}),
    "public:step": POST_ONLY,
    "public:poster": row(default=404, ws_wide=200),
    # reports: aggregates only (the kota analyst and agency officers protected)
    "reports:index": row(
        default=404,
        ws_wide=REDIRECT,
        uptd=REDIRECT,
        other_agency=REDIRECT,
        kota=REDIRECT,
        personas={f"wb.{r}": REDIRECT for r in ("koordinator", "kasikesra", "lurah")},
    ),
    "reports:section": REPORT_READERS,
    "reports:export": REPORT_READERS,
    # personal-data-free but per victim: the kelurahan-wide roles of their own kelurahan only
    "reports:monthly": KELURAHAN_WIDE,
    "reports:monthly_pdf": KELURAHAN_WIDE,
    "reports:simfoni": row(default=404, ws_wide=200, personas={f"wb.{r}": 200 for r in WIDE_ROLES}),
    # outreach log: the kelurahan's members; recorded by the coordinator and the volunteer;
    # never kota-level users or agencies
    "outreach:list": KELURAHAN_MEMBERS,
    "outreach:new": row(
        default=404,
        ws_relawan=200,
        personas={"ws.koordinator": 200, "wb.relawan": 200, "wb.koordinator": 200},
    ),
    "outreach:detail": row(
        default=404, ws_relawan=200, ws_pendamping=200, ws_pendamping2=200, ws_wide=200
    ),
    "outreach:photo_add": POST_ONLY,
    "outreach:photo": row(
        default=404, ws_relawan=200, ws_pendamping=200, ws_pendamping2=200, ws_wide=200
    ),
    # joining and the guided setup (issue 17): an admin adds places; each place's coordinator,
    # kasi kesra and lurah complete its setup (WS's pages here: WB's people get 404); the
    # kota's emblem page for the admin and the setup people of a place of the kota
    "joining:join": row(default=404, admin=200),
    "joining:setup_home": row(
        default=404,
        ws_wide=REDIRECT,
        personas={f"wb.{r}": REDIRECT for r in WIDE_ROLES},
    ),
    "joining:setup": row(default=404, ws_wide=200),
    "joining:step": row(default=404, ws_wide=200),
    "joining:emblem": row(
        default=404, ws_wide=200, admin=200, personas={f"wb.{r}": 200 for r in WIDE_ROLES}
    ),
    # the mechanism (a WS draft): the kelurahan-wide roles of the place; only the head enacts
    "mechanism:index": row(
        default=404, ws_wide=REDIRECT, personas={f"wb.{r}": REDIRECT for r in WIDE_ROLES}
    ),
    "mechanism:versions": row(default=404, ws_wide=200),
    "mechanism:detail": row(default=404, ws_wide=200),
    "mechanism:edit": row(default=404, ws_wide=200),
    "mechanism:enact": row(
        default=404, ws_wide=200, personas={"ws.koordinator": REDIRECT, "ws.kasikesra": REDIRECT}
    ),
    "mechanism:procedure_pdf": row(default=404, ws_wide=200),
    "mechanism:scan": row(default=404),  # the draft has no scan yet
    "mechanism:new": POST_ONLY,
    "mechanism:trial": POST_ONLY,
    # role-play sessions (a planned WS session, no participant yet): who runs sessions of the
    # place (the kelurahan-wide roles, a facilitator); participants only while it runs
    "roleplay:index": row(default=200, kota=404, admin=404),  # who may be cast
    "roleplay:new": row(default=404, ws_wide=200, personas={f"wb.{r}": 200 for r in WIDE_ROLES}),
    "roleplay:detail": row(default=404, ws_wide=200),
    "roleplay:debrief": row(default=404, ws_wide=200),
    "roleplay:debrief_pdf": row(default=404, ws_wide=200),
    "roleplay:participants": POST_ONLY,
    "roleplay:start": POST_ONLY,
    "roleplay:open": POST_ONLY,
    "roleplay:end": POST_ONLY,
    "roleplay:note": POST_ONLY,
    "roleplay:apply": POST_ONLY,
    # notifications (each user's own)
    "notifications:list": LOGGED_IN,
    "notifications:open": POST_ONLY,
    "notifications:read_all": POST_ONLY,
    # attachments
    "attachments:case": CASE_FULL,
    "attachments:download": CASE_FULL,
    # Django admin: users and master data only (no case model is registered: see below)
    "admin:index": ADMIN_PAGE,
    "admin:login": row(anon=200, default=200, admin=REDIRECT),
    "admin:logout": row(anon=ADMIN_LOGIN, default=REDIRECT, admin=405),
    "admin:password_change": ADMIN_PAGE,
    "admin:password_change_done": ADMIN_PAGE,
    "admin:autocomplete": row(anon=ADMIN_LOGIN, default=ADMIN_LOGIN, admin=403),
    "admin:jsi18n": ADMIN_PAGE,
    "admin:view_on_site": row(anon=ADMIN_LOGIN, default=ADMIN_LOGIN, admin=404),
    "admin:app_list": ADMIN_PAGE,
    "admin/(?P<url>.*)$": row(anon=ADMIN_LOGIN, default=ADMIN_LOGIN, admin=404),
    "admin:auth_user_password_change": ADMIN_MODEL_PAGE,
    "admin:accounts_membership_simple_history": ADMIN_MODEL_PAGE,
    # The outbox (background work): read-only for the application admin, nothing to add.
    "admin:outbox_outboxitem_add": ADMIN_FORBIDDEN,
    # The two-factor policy is one row (made by its migration): nothing to add.
    "admin:accounts_secondfactorpolicy_add": ADMIN_FORBIDDEN,
}
# The model pages of the Django admin, by the pattern of their names.
ADMIN_MODEL_RULES = [
    (re.compile(r"^admin:\w+_(changelist|add|change|history)$"), ADMIN_MODEL_PAGE),
    (re.compile(r"^admin:\w+_delete$"), ADMIN_DELETE),
    # The old-style object URL redirects to the change page.
    (re.compile(r"^admin/[\w/]+/<path:object_id>/$"), row(default=ADMIN_LOGIN, admin=REDIRECT)),
]
# Admin pages of models the application admin may not manage (Django's own permissions).
ADMIN_OVERRIDES = {
    "auth_group": ADMIN_FORBIDDEN,
}


def expected_for(key):
    if key in MATRIX:
        return MATRIX[key]
    for pattern, exp in ADMIN_MODEL_RULES:
        if pattern.match(key):
            for prefix, override in ADMIN_OVERRIDES.items():
                if key.startswith(f"admin:{prefix}"):
                    return override
            return exp
    return None


# Models that a GET may change: reads are logged, sessions and login attempts are kept.
MAY_CHANGE_ON_GET = {
    "cases.accesslog",
    "sessions.session",
    "accounts.sessionindex",
    # The two-factor set-up page makes an unconfirmed device for the person who opens it.
    "otp_totp.totpdevice",
}


def row_counts():
    return {
        m._meta.label_lower: m._base_manager.count()
        for m in apps.get_models()
        if m._meta.label_lower not in MAY_CHANGE_ON_GET and m._meta.managed
    }


WS_VICTIM = "Sentinel Ws Korbanwatang"
WB_VICTIM = "Sentinel Wb Korbanbacukiki"


def build_data(personas, master, media):
    from attachments.services import attachment_add

    # A child, so that the guardian and the child's own view are on the consent.
    ws = make_case(
        personas,
        "handling",
        victims=[{"full_name": WS_VICTIM, "sex": "F", "estimated_age": 12}],
        narrative="Narasi rahasia WS",
    )
    wb = make_case(personas, kel="wb", victims=[{"full_name": WB_VICTIM}])
    att = attachment_add(
        case=ws, uploaded=upload("visum.pdf", PDF_BYTES), description="", actor=personas["ws.lurah"]
    )
    # Procedure records with free text (the XSS test writes its payload into them).
    victim = ws.victims.get()
    pend = personas["ws.pendamping"]
    record(ws, "assess", pend, victim=victim, answers={"weapon": True}, note="Catatan asesmen")
    give_consent(victim, "share", agency="uptd", giver_name="Wali", child_view="Pandangan anak")
    plan_action(victim, agency="uptd", service="health", note="Catatan rencana")
    record(ws, "visit", pend, victim=victim, kind="home", text="Catatan kunjungan")
    record(
        ws, "visit", pend, victim=victim, kind="phone", text="Catatan rahasia", confidential=True
    )
    # A referral of the WS case to UPTD PPA, approved: its letter is issued (PDF, token).
    referral = make_referral(personas, "sent", case=ws, victim=victim)
    referral.refresh_from_db()
    assert referral.letter_number and referral.verify_token
    membership = Membership.objects.filter(user=personas["ws.relawan"]).first()
    # One object of each model in the Django admin, so its change pages are really opened.
    from django.contrib.auth.models import Group

    from mechanism.models import Holiday

    Group.objects.create(name="Grup uji")
    Holiday.objects.create(date=datetime.date(2026, 12, 31), name="Libur uji")
    from tests.factories import mechanism_version

    draft = mechanism_version("ws", state="draft")
    from roleplay.models import Session

    session = Session.objects.create(
        kelurahan=master["ws"],
        version=draft,
        title="Simulasi uji",
        place="Aula",
        facilitator=personas["ws.koordinator"],
    )
    from notifications.models import Notification
    from outreach.models import Activity, Photo

    activity = Activity.objects.create(
        kelurahan=master["ws"],
        kind="sosialisasi",
        place="Aula",
        topic="Stop kekerasan",
        women=12,
        men=8,
        recorded_by=personas["ws.koordinator"],
    )
    from django.core.files.base import ContentFile

    photo = Photo(
        activity=activity,
        kelurahan=master["ws"],
        original_name="a.png",
        content_type="image/png",
        size=3,
        sha256="x",
        consent_confirmed=True,
        uploaded_by=personas["ws.koordinator"],
    )
    photo.file.save("a.png", ContentFile(b"png"), save=False)
    photo.save()
    from public_channel import services as public_services

    submission = public_services.submit(
        kelurahan=master["ws"],
        data={
            "kind": "violence",
            "text": "Laporan publik",
            "affected": "other",
            "contact_how": "whatsapp",
            "contact_value": "081200001111",
        },
        nonce="access-matrix",
    )[0]
    from public_channel.models import KotaEmergencyNumbers, PublicSettings

    PublicSettings.objects.create(kelurahan=master["ws"], flood_per_day=50)
    KotaEmergencyNumbers.objects.create(kota_id=master["ws"].kota_code, police_ppa="0421-1")
    return {
        "submission": submission,
        "activity": activity,
        "photo": photo,
        "ws_case": ws,
        "wb_case": wb,
        "attachment": att,
        "membership": membership,
        "referral": referral,
        "notification": Notification.objects.order_by("pk").first(),
        "mechanism": draft,
        "session": session,
    }


def params_for(route, data, personas):
    """Values for the parameters of a route."""
    d = data
    values = {
        "case_pk": d["ws_case"].pk,
        "app_label": "accounts",
        "url": "no-such-page/",
        "content_type_id": ContentType.objects.get_for_model(Kelurahan).pk,
        "id": personas["ws.relawan"].pk,
        "action": "reassign",  # open to deciders on a case in handling
        "token": d["referral"].verify_token,
        "action_pk": d["referral"].action_id,
        "user_id": personas["ws.relawan"].pk,
        "secret": "not-a-real-reset-secret",
    }
    key = route.key
    if key.startswith("cases:"):
        values["pk"] = d["ws_case"].pk
    if key.startswith("referrals:"):
        values["pk"] = d["referral"].pk
    values.update(_reports_params(key, d))
    if key == "referrals:step":
        values["action"] = "acknowledge"
    if key.startswith("notifications:"):
        values["pk"] = d["notification"].pk
    values.update(_later_params(key, d))
    if key == "attachments:download":
        values["pk"] = d["attachment"].pk
    if key == "admin:view_on_site":
        values["object_id"] = Kelurahan.objects.first().pk
    if key == "admin:accounts_membership_simple_history":
        values["_1"] = d["membership"].pk
        values["_2"] = d["membership"].history.first().history_id
    if "object_id" in route.params and "object_id" not in values:
        values["object_id"] = _admin_object_id(route)
    missing = [p for p in route.params if p not in values]
    assert not missing, f"{key}: no value for {missing}; add it to params_for"
    return values


def _later_params(key, d):
    """Parameters of the joining, people-management and public-channel URLs."""
    out = {}
    if key.startswith("joining:"):
        out.update({"pk": Kelurahan.objects.get(code="WS").pk, "step": "letterhead"})
        out["code"] = "73.72"
    if key == "people_end_membership":
        out["pk"] = d["membership"].pk
    if key == "people_withdraw_invitation":
        out["pk"] = 1  # POST only: the GET is refused before any lookup
    if key.startswith("public:"):
        out.update({"pk": d["submission"].pk, "code": "ws", "action": "read"})
    if key.startswith("mechanism:"):
        out["code"], out["number"] = "WS", d["mechanism"].number
    if key.startswith("roleplay:"):
        out["pk"], out["note_id"] = d["session"].pk, 1
    return out


def _reports_params(key, d):
    """Parameters of the reports' and the outreach log's URLs."""
    out = {}
    if key in ("outreach:detail", "outreach:photo_add"):
        out["pk"] = d["activity"].pk
    if key == "outreach:photo":
        out["pk"] = d["photo"].pk
    if key in ("reports:section", "reports:export"):
        out["section"] = "services"  # the section agency officers read too
    if key in ("reports:export", "reports:simfoni"):
        out["fmt"] = "xlsx"
    return out


def _admin_object_id(route):
    m = re.match(r"admin/(\w+)/(\w+)/", route.route)
    model = apps.get_model(m.group(1), m.group(2))
    obj = model._base_manager.order_by("pk").first()
    return obj.pk if obj is not None else 1


def _check(resp, expected):
    if expected == LOGIN:
        return resp.status_code == 302 and resp["Location"].startswith("/accounts/login/")
    if expected == ADMIN_LOGIN:
        return resp.status_code == 302 and resp["Location"].startswith("/admin/login/")
    if expected == REDIRECT:
        return resp.status_code == 302
    return resp.status_code == expected


def _body(resp):
    if getattr(resp, "streaming", False):
        return b"".join(resp.streaming_content).decode("latin-1")
    return resp.content.decode("utf-8", "replace")


# A confidential note: only the assigned companion and the coordinator ever see it (ROLES.md).
CONFIDENTIAL_NOTE = "Catatan rahasia"
CONFIDENTIAL_READERS = {"ws.pendamping", "ws.koordinator"}

# Names each group must never see anywhere.
NEVER_SEES = {
    "anon": [WS_VICTIM, WB_VICTIM],
    "ws_relawan": [WB_VICTIM],
    "ws_pendamping": [WB_VICTIM],
    "ws_pendamping2": [WS_VICTIM, WB_VICTIM],
    "ws_wide": [WB_VICTIM],
    "wb": [WS_VICTIM],
    "uptd": [WB_VICTIM],
    "other_agency": [WS_VICTIM, WB_VICTIM],
    "kota": [WS_VICTIM, WB_VICTIM],
    "admin": [WS_VICTIM, WB_VICTIM],
}


def test_every_url_pattern_has_a_matrix_entry():
    missing = sorted(r.key for r in all_routes() if expected_for(r.key) is None)
    assert not missing, (
        "URL patterns without an entry in tests/test_access_matrix.py MATRIX: " + ", ".join(missing)
    )


def test_matrix_has_no_stale_entries():
    keys = {r.key for r in all_routes()}
    assert not sorted(set(MATRIX) - keys)


@pytest.fixture
def fast_pdfs(monkeypatch):
    """The printed procedure holds no case data and takes ~2 s to render: its access check runs
    in the view, so the walk replaces only the renderer (its content is tested in tests/cases)."""
    from cases import procedure_print

    monkeypatch.setattr(
        procedure_print, "render_procedure_pdf", lambda kel, version=None: b"%PDF-1.7 stub"
    )
    # The monthly report likewise (its text is read in tests/reports/test_monthly.py).
    from reports import monthly

    monkeypatch.setattr(monthly, "render_monthly_pdf", lambda *a, **kw: b"%PDF-1.7 stub")


@pytest.fixture
def media(settings, tmp_path, db, fast_pdfs):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SITE_URL = "https://posko.example.id"
    # The shared DB cache (rate limit of the public verification page) needs its table.
    from django.core.management import call_command

    call_command("createcachetable", verbosity=0)


# The walk is the suite's longest test (about 3,500 requests): cut into shards of routes so that
# the two test workers share it instead of one of them finishing alone.
SHARDS = 4


@pytest.mark.parametrize("shard", range(SHARDS))
def test_access_matrix(personas, master, media, shard):
    data = build_data(personas, master, media)
    clients = {name: personas.client(name) for names in GROUPS.values() for name in names}
    failures = []
    for i, route in enumerate(sorted(all_routes(), key=lambda r: r.key)):
        if i % SHARDS != shard:
            continue
        expected = expected_for(route.key)
        if expected is None:
            continue  # reported by test_every_url_pattern_has_a_matrix_entry
        path = route.build(params_for(route, data, personas))
        assert check_resolves(route, path), f"{route.key}: {path} resolves elsewhere"
        before = row_counts()
        for group, names in GROUPS.items():
            for name in names:
                resp = clients[name].get(path)
                want = expected.get(name, expected[group])
                if not _check(resp, want):
                    failures.append(
                        f"{route.key} {path} as {name or 'anonymous'}: got {resp.status_code} "
                        f"{resp.get('Location', '')}, expected {want}"
                    )
                body = _body(resp)
                secrets = NEVER_SEES[group]
                if name not in CONFIDENTIAL_READERS:
                    secrets = [*secrets, CONFIDENTIAL_NOTE]
                for secret in secrets:
                    if secret in body:
                        failures.append(f"{route.key} {path} shows {secret!r} to {name}")
        after = row_counts()
        changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
        if changed:
            failures.append(f"GET {route.key} changed rows: {changed}")
    # The checks above are not vacuous: the case page does show the name and the note to those
    # who may see them (checked once, in the first shard).
    assert not failures, "\n".join(failures)
    if shard:
        return
    page = clients["ws.koordinator"].get(f"/cases/{data['ws_case'].pk}/").content.decode()
    assert WS_VICTIM in page and CONFIDENTIAL_NOTE in page
    page = clients["ws.kasikesra"].get(f"/cases/{data['ws_case'].pk}/").content.decode()
    assert WS_VICTIM in page and CONFIDENTIAL_NOTE not in page


def test_no_case_data_model_in_django_admin():
    """Only models without case content are in the Django admin (none of the case apps)."""
    allowed_case_models: set[str] = set()
    for model in admin.site._registry:
        label = model._meta.label_lower
        if model._meta.app_label in {"cases", "attachments", "referrals"}:
            assert label in allowed_case_models, f"{label} is registered in the Django admin"
        for f in model._meta.fields:
            if isinstance(f, ForeignKey):
                assert f.related_model is not Case, f"{label} points to a case"


def test_admin_cannot_reach_case_content_by_search(personas, master, media):
    build_data(personas, master, media)
    c = personas.client("admin")
    for url in [
        "/admin/accounts/user/?q=Sentinel",
        "/admin/accounts/kelurahan/?q=Sentinel",
        "/admin/accounts/membership/",
        "/admin/mechanism/holiday/",
        "/admin/",
    ]:
        body = c.get(url).content.decode()
        assert WS_VICTIM not in body and WB_VICTIM not in body and "Narasi rahasia" not in body
    assert User.objects.filter(username="admin").get().is_lbk_admin
    assert Agency.objects.exists()
