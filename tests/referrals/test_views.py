"""Referral pages: who sees what (404 for outsiders), queue, inbox, register, verification,
notifications and e-mail, the forms and the case-page section."""

import csv
import io

import pytest
from django.core import mail
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cases.access import FULL
from cases.models import AccessLog
from notifications.models import Notification
from referrals import services
from referrals.models import Referral, State
from referrals.sections import case_referrals_section
from tests.factories import REFERRAL_VICTIM, make_case, make_referral, plan_action
from tests.queries import assert_queries_constant, count_get

pytestmark = pytest.mark.django_db

VICTIM = "Siti Aminah Rahman"
NIK = "7372010101900001"
OFFICERS = ("uptdppa.petugas", "dinsos.petugas", "dp3a.petugas")


def case_page_url(case):
    try:
        return reverse("cases:detail", args=[case.pk])
    except NoReverseMatch:
        return f"/cases/{case.pk}/"


def urls_of(r):
    return [
        reverse("referrals:detail", args=[r.pk]),
        reverse("referrals:letter", args=[r.pk]),
    ]


# Agency isolation


def test_agency_isolation_inbox_detail_letter_search(master, personas):
    r = make_referral(personas, "sent")  # to UPTD PPA, sent
    uptd = personas.client("uptdppa.petugas")
    resp = uptd.get(reverse("referrals:inbox"))
    assert resp.status_code == 200 and r.letter_number in resp.content.decode()
    for url in urls_of(r):
        assert uptd.get(url).status_code == 200
    assert r.letter_number in uptd.get(reverse("referrals:inbox"), {"q": "LBK-KK"}).content.decode()

    for name in ("dinsos.petugas", "dp3a.petugas"):
        c = personas.client(name)
        assert r.letter_number not in c.get(reverse("referrals:inbox")).content.decode()
        found = c.get(reverse("referrals:inbox"), {"q": r.letter_number}).content.decode()
        assert r.letter_number not in found.split('id="real-title"')[1]
        for url in urls_of(r):
            assert c.get(url).status_code == 404, (name, url)
        resp = c.post(reverse("referrals:step", args=[r.pk, "acknowledge"]))
        assert resp.status_code == 404
    # Every officer gets 404 on the case page.
    for name in OFFICERS:
        assert personas.client(name).get(case_page_url(r.case)).status_code == 404


def test_officer_sees_no_draft_or_requested_referral(master, personas):
    r = make_referral(personas, "requested")
    c = personas.client("uptdppa.petugas")
    assert c.get(reverse("referrals:detail", args=[r.pk])).status_code == 404


def test_other_kelurahan_and_volunteer_get_404(master, personas):
    r = make_referral(personas, "sent")
    for name in (
        "wb.koordinator",
        "wb.kasikesra",
        "wb.pendamping",
        "ws.relawan",
        "ws.pendamping2",
        "admin",
    ):
        c = personas.client(name)
        for url in urls_of(r):
            assert c.get(url).status_code == 404, (name, url)


def test_anonymous_is_sent_to_login(master, personas):
    r = make_referral(personas, "sent")
    resp = personas.client(None).get(reverse("referrals:detail", args=[r.pk]))
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]


def test_agency_view_shows_minimum_and_reads_are_logged(master, personas):
    r = make_referral(personas, "sent", fields=[], consent_fields=["full_name"])
    c = personas.client("uptdppa.petugas")
    before = AccessLog.objects.count()
    html = c.get(reverse("referrals:detail", args=[r.pk])).content.decode()
    assert VICTIM not in html and NIK not in html and "Kronologi" not in html
    assert "S.A.R." in html and "Konfirmasi" in html or "Confirm receipt" in html
    assert r.case.number not in html  # no link to the case page
    log = AccessLog.objects.order_by("-pk").first()
    assert AccessLog.objects.count() == before + 1
    assert log.action == "referral_view" and log.case_id == r.case_id
    assert log.user == personas["uptdppa.petugas"]


def test_officer_confirms_and_records_through_pages(master, personas):
    r = make_referral(personas, "sent")
    c = personas.client("uptdppa.petugas")
    resp = c.post(reverse("referrals:step", args=[r.pk, "acknowledge"]))
    assert resp.status_code == 302
    r.refresh_from_db()
    assert r.state == State.ACKNOWLEDGED
    # Missing description: refused with the message, nothing saved.
    resp = c.post(reverse("referrals:step", args=[r.pk, "complete"]), {"complete-note": ""})
    assert resp.status_code == 400
    r.refresh_from_db()
    assert r.state == State.ACKNOWLEDGED
    resp = c.post(
        reverse("referrals:step", args=[r.pk, "complete"]),
        {"complete-note": "Konseling", "complete-service_given": "psychological"},
    )
    r.refresh_from_db()
    assert r.state == State.COMPLETED and r.outcome == "served"
    # GET changes nothing.
    assert c.get(reverse("referrals:step", args=[r.pk, "decline"])).status_code == 405


def test_role_play_referrals_are_not_in_the_inbox(master, personas):
    """Issue 18: role-play referrals live only in their session's simulation list (tests/
    roleplay), never in the real inbox, not even on a page of their own."""
    real = make_referral(personas, "sent")
    sim = make_referral(personas, "sent", roleplay=True)
    officer = personas.client("uptdppa.petugas")
    html = officer.get(reverse("referrals:inbox")).content.decode()
    assert real.letter_number in html and sim.letter_number not in html
    assert "?sim=1" not in html
    sim_html = officer.get(reverse("referrals:inbox") + "?sim=1").content.decode()
    assert sim.letter_number not in sim_html


# Approval queue


def test_queue_for_staff_emergency_first_with_deadline(master, personas):
    req = make_referral(personas, "requested")
    em = make_referral(personas, "emergency")
    c = personas.client("ws.kasikesra")
    html = c.get(reverse("referrals:queue")).content.decode()
    assert html.index(em.case.number) < html.index(req.case.number)
    assert "Batas waktu" in html or "Deadline" in html
    for name in ("ws.pendamping", "ws.koordinator", "uptdppa.petugas", "ws.relawan"):
        assert personas.client(name).get(reverse("referrals:queue")).status_code == 404
    # Other kelurahan's staff see nothing of WS.
    other = personas.client("wb.kasikesra").get(reverse("referrals:queue")).content.decode()
    assert req.case.number not in other


def test_queue_overdue_mark(master, personas):
    import time_machine

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        make_referral(personas, "requested")
    with time_machine.travel(start + timezone.timedelta(hours=25), tick=False):
        html = personas.client("ws.lurah").get(reverse("referrals:queue")).content.decode()
    assert 'class="overdue"' in html


def test_approve_from_detail_page_and_four_eyes_message(
    master, personas, django_capture_on_commit_callbacks
):
    r = make_referral(personas, "requested")
    c = personas.client("ws.kasikesra")
    # After the commit, the letter task stores the letter, then the referral is sent.
    with django_capture_on_commit_callbacks(execute=True):
        resp = c.post(reverse("referrals:step", args=[r.pk, "approve"]), {"next": "queue"})
    assert resp.status_code == 302 and resp["Location"] == reverse("referrals:queue")
    r.refresh_from_db()
    assert r.state == State.SENT and r.letter_number


def test_return_without_note_shows_error(master, personas):
    r = make_referral(personas, "requested")
    c = personas.client("ws.kasikesra")
    resp = c.post(reverse("referrals:step", args=[r.pk, "return"]), {"return-note": ""})
    assert resp.status_code == 400
    assert "error-summary" in resp.content.decode()
    r.refresh_from_db()
    assert r.state == State.REQUESTED


def test_queue_query_count_constant(master, personas):
    make_referral(personas, "requested")
    c = personas.client("ws.kasikesra")
    c.get(reverse("referrals:queue"))
    assert_queries_constant(
        lambda: count_get(c, reverse("referrals:queue")),
        lambda: [make_referral(personas, "requested") for _ in range(4)],
    )


def test_inbox_query_count_constant(master, personas):
    make_referral(personas, "sent")
    c = personas.client("uptdppa.petugas")
    c.get(reverse("referrals:inbox"))
    assert_queries_constant(
        lambda: count_get(c, reverse("referrals:inbox")),
        lambda: [make_referral(personas, "sent") for _ in range(3)],
    )


# Verification page


def test_verification_page_no_personal_data(master, personas, cache_table):
    fields = ["full_name", "address", "contact", "narrative"]
    r = make_referral(personas, "sent", fields=fields, consent_fields=fields)
    anon = personas.client(None)
    resp = anon.get(reverse("referrals:verify", args=[r.verify_token]))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert r.letter_number in html and "UPTD PPA Kota Parepare" in html
    assert "Watang Soreang" in html and ("SAH" in html or "VALID" in html)
    for secret in (
        VICTIM,
        "Aminah",
        NIK,
        "Jl. Mawar",
        "081234567890",
        "Kronologi",
        r.case.number,
        "Andi Mappasessu",
        "Muhammad Arfah",
        r.summary,
    ):
        assert secret not in html, secret


def test_verification_cancelled_and_wrong_token(master, personas, cache_table):
    r = make_referral(personas, "sent")
    services.referral_advance(
        referral=r, action="cancel", actor=personas["ws.lurah"], data={"reason": "salah"}
    )
    anon = personas.client(None)
    html = anon.get(reverse("referrals:verify", args=[r.verify_token])).content.decode()
    assert "DIBATALKAN" in html or "CANCELLED" in html
    assert r.letter_number in html
    resp = anon.get(reverse("referrals:verify", args=["wrong-token-123"]))
    assert resp.status_code == 404
    assert r.letter_number not in resp.content.decode()


def test_verification_rate_limited(master, personas, cache_table, settings):
    from referrals import views

    r = make_referral(personas, "sent")
    anon = personas.client(None)
    url = reverse("referrals:verify", args=[r.verify_token])
    for _ in range(views.VERIFY_LIMIT):
        assert anon.get(url).status_code == 200
    assert anon.get(url).status_code == 429
    # Counted in the shared database cache, not in process memory.
    from django.core.cache import cache

    assert settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache")
    assert cache.get("verify-rate:127.0.0.1") == views.VERIFY_LIMIT + 1


# Register and CSV


def test_register_and_csv_neutralises_formulas(master, personas):
    r = make_referral(personas, "sent")
    Referral.objects.filter(pk=r.pk).update(signer_name='=HYPERLINK("http://x")')
    c = personas.client("ws.koordinator")
    html = c.get(reverse("referrals:register")).content.decode()
    assert r.letter_number in html
    resp = c.get(reverse("referrals:register_csv"))
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    assert resp.streaming  # any size, constant memory
    body = b"".join(resp.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[1][0] == r.letter_number
    assert rows[1][8] == '\'=HYPERLINK("http://x")'
    assert VICTIM not in body and NIK not in body
    for name in ("ws.pendamping", "uptdppa.petugas", "ws.relawan"):
        assert personas.client(name).get(reverse("referrals:register_csv")).status_code == 404
    other = personas.client("wb.koordinator").get(reverse("referrals:register_csv"))
    assert r.letter_number not in b"".join(other.streaming_content).decode()


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=1+1", "'=1+1"),
        ("+62", "'+62"),
        ("-5", "'-5"),
        ("@SUM", "'@SUM"),
        ("abc", "abc"),
        ("", ""),
    ],
)
def test_csv_safe(value, expected):
    from referrals.views import csv_safe

    assert csv_safe(value) == expected


# Notifications and e-mail


def test_notifications_and_email_without_personal_data(
    master, personas, django_capture_on_commit_callbacks
):
    for u in ("ws.kasikesra", "ws.lurah", "uptdppa.petugas", "ws.pendamping"):
        assert personas[u].email
    with django_capture_on_commit_callbacks(execute=True):
        r = make_referral(personas, "requested")
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_advance(referral=r, action="approve", actor=personas["ws.kasikesra"])
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_advance(
            referral=r, action="acknowledge", actor=personas["uptdppa.petugas"]
        )
    recipients = {to for m in mail.outbox for to in m.to}
    assert {
        "ws.kasikesra@example.org",
        "ws.lurah@example.org",
        "uptdppa.petugas@example.org",
        "ws.pendamping@example.org",
    } <= recipients
    for m in mail.outbox:
        text = m.subject + m.body
        for secret in (VICTIM, "Aminah", NIK, r.case.number, "Jl. Mawar"):
            assert secret not in text
        assert "/notifications/" in m.body

    c = personas.client("ws.kasikesra")
    home = c.get(reverse("home")).content.decode()
    assert reverse("notifications:list") in home
    assert '<span class="badge text-bg-danger">1</span>' in home
    page = c.get(reverse("notifications:list")).content.decode()
    assert r.case.number in page and VICTIM not in page
    n = Notification.objects.get(user=personas["ws.kasikesra"])
    resp = c.post(reverse("notifications:open", args=[n.pk]))
    assert resp["Location"] == reverse("referrals:detail", args=[r.pk])
    n.refresh_from_db()
    assert n.read_at
    # Another user's notification is not theirs to open.
    other = Notification.objects.filter(user=personas["ws.lurah"]).first()
    assert c.post(reverse("notifications:open", args=[other.pk])).status_code == 404
    c.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(user=personas["ws.kasikesra"], read_at=None).exists()


# Forms: draft editing, emergency, case section


def test_edit_form_refuses_fields_beyond_consent_and_keeps_input(master, personas):
    r = make_referral(personas, "draft", consent_fields=["full_name"])
    c = personas.client("ws.pendamping")
    url = reverse("referrals:edit", args=[r.pk])
    assert c.get(url).status_code == 200
    data = {
        "kind": "layanan",
        "action": r.action_id,
        "services_requested": "Konseling",
        "summary": "Ringkasan khusus instansi",
        "shared_fields": ["full_name", "address"],
        "version": r.version,
        "request": "1",
    }
    resp = c.post(url, data)
    html = resp.content.decode()
    assert resp.status_code == 400
    assert "error-summary" in html and "Ringkasan khusus instansi" in html
    r.refresh_from_db()
    assert r.state == State.DRAFT and r.summary != "Ringkasan khusus instansi"
    data["shared_fields"] = ["full_name"]
    resp = c.post(url, data)
    assert resp.status_code == 302
    r.refresh_from_db()
    assert r.state == State.REQUESTED and r.shared_fields == ["full_name"]
    # Others cannot edit.
    assert personas.client("ws.kasikesra").get(url).status_code == 404


def test_request_without_consent_through_form_shows_refusal(master, personas):
    r = make_referral(personas, "draft", with_consent=False)
    c = personas.client("ws.pendamping")
    resp = c.post(
        reverse("referrals:edit", args=[r.pk]),
        {
            "kind": "layanan",
            "action": r.action_id,
            "services_requested": "Konseling",
            "summary": "S",
            "version": r.version,
            "request": "1",
        },
    )
    assert resp.status_code == 400
    assert "UPTD PPA Kota Parepare" in resp.content.decode()
    r.refresh_from_db()
    assert r.state == State.DRAFT


def test_start_from_planned_action_post_only(master, personas):
    case = make_case(personas, "handling", victims=[REFERRAL_VICTIM])
    v = case.victims.get()
    pa = plan_action(v, agency="uptd")
    url = reverse("referrals:start", args=[pa.pk])
    assert personas.client("ws.pendamping").get(url).status_code == 405
    assert personas.client("wb.koordinator").post(url).status_code == 404
    assert personas.client("uptdppa.petugas").post(url).status_code == 404
    resp = personas.client("ws.pendamping").post(url)
    r = Referral.objects.get(action=pa)
    assert resp["Location"] == reverse("referrals:edit", args=[r.pk])
    assert r.state == State.DRAFT and r.agency == master["uptd"] and r.victim == v


def test_emergency_form(master, personas):
    case = make_case(personas, victims=[REFERRAL_VICTIM])
    v = case.victims.get()
    url = reverse("referrals:emergency", args=[case.pk])
    c = personas.client("ws.koordinator")
    assert c.get(url).status_code == 200
    assert personas.client("ws.pendamping").get(url).status_code == 404  # not assigned
    assert personas.client("uptdppa.petugas").get(url).status_code == 404
    resp = c.post(
        url,
        {
            "victim": v.pk,
            "agency": master["uptd"].pk,
            "service_type": "health",
            "ground": "danger",
            "how": "phone",
            "made_at": "",
            "summary": "",
        },
    )
    assert resp.status_code == 400
    made = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    resp = c.post(
        url,
        {
            "victim": v.pk,
            "agency": master["uptd"].pk,
            "service_type": "health",
            "ground": "danger",
            "how": "phone",
            "made_at": made,
            "summary": "Luka, dibawa ke UPTD",
            "shared_fields": ["address"],
        },
    )
    assert resp.status_code == 400  # no consent to share the address
    resp = c.post(
        url,
        {
            "victim": v.pk,
            "agency": master["uptd"].pk,
            "service_type": "health",
            "ground": "danger",
            "how": "phone",
            "made_at": made,
            "summary": "Luka, dibawa ke UPTD",
        },
    )
    r = Referral.objects.get(case=case)
    assert resp["Location"] == reverse("referrals:detail", args=[r.pk])
    assert r.state == State.SENT and r.awaits_ratification


def test_case_section_buttons_from_steps(master, personas, rf):
    r = make_referral(personas, "requested")
    case = r.case
    case.access_level = FULL
    pa = plan_action(r.victim, agency="dinsos")

    req = rf.get("/")
    req.user = personas["ws.kasikesra"]
    (sec,) = case_referrals_section(req, case)
    (item,) = sec.context["referrals"]
    assert [s["step"].action for s in item.steps] == ["approve"]
    assert item.more_steps  # return needs a note: on the referral page
    assert sec.context["startable"] == []

    req.user = personas["ws.pendamping"]
    (sec,) = case_referrals_section(req, case)
    assert sec.context["startable"] == [pa]
    assert sec.context["can_emergency"]
    (item,) = sec.context["referrals"]
    assert item.steps == [] and item.more_steps  # withdraw needs a reason

    from django.template.loader import render_to_string

    html = render_to_string(sec.template, {"ctx": sec.context, "request": req, "csrf_token": "x"})
    assert reverse("referrals:start", args=[pa.pk]) in html
    assert reverse("referrals:emergency", args=[case.pk]) in html

    case.access_level = "intake"
    assert case_referrals_section(req, case) == []


def test_case_page_shows_referral_section_and_badge(master, personas):
    r = make_referral(personas, "requested")
    url = reverse("cases:detail", args=[r.case.pk])
    html = personas.client("ws.pendamping").get(url).content.decode()
    assert 'id="rujukan"' in html and "Dirujuk" in html
    assert reverse("referrals:detail", args=[r.pk]) in html
    staff = personas.client("ws.kasikesra").get(url).content.decode()
    assert reverse("referrals:step", args=[r.pk, "approve"]) in staff
    # The volunteer who registered it sees intake data and status only: no referral section.
    vol = personas.client("ws.relawan").get(url)
    assert vol.status_code == 200 and 'id="rujukan"' not in vol.content.decode()
    for name in OFFICERS + ("wb.koordinator",):
        assert personas.client(name).get(url).status_code == 404


def test_home_panels(master, personas):
    make_referral(personas, "requested")
    make_referral(personas, "sent")
    html = personas.client("ws.kasikesra").get(reverse("home")).content.decode()
    assert "Rujukan menunggu keputusan Anda" in html and "1 rujukan" in html
    html = personas.client("uptdppa.petugas").get(reverse("home")).content.decode()
    assert "Rujukan baru ke instansi Anda" in html and "1 rujukan" in html
    html = personas.client("dinsos.petugas").get(reverse("home")).content.decode()
    assert "0 rujukan" in html


def test_case_list_shows_referred_badge_without_extra_queries(master, personas):
    r = make_referral(personas, "requested")
    other = make_case(personas, "handling")
    html = personas.client("ws.koordinator").get(reverse("cases:list")).content.decode()
    rows = {line for line in html.splitlines() if "Dirujuk" in line}
    assert rows, "the referred case carries the badge"
    assert html.count("badge-referred") == 1
    assert r.case.number in html and other.number in html


def test_no_second_referral_for_the_same_planned_action(master, personas):
    r = make_referral(personas, "draft")
    c = personas.client("ws.pendamping")
    resp = c.post(reverse("referrals:start", args=[r.action_id]), follow=True)
    assert "sudah memiliki rujukan" in resp.content.decode()
    assert Referral.objects.filter(action=r.action).count() == 1


def test_register_query_count_constant(master, personas):
    make_referral(personas, "sent")
    c = personas.client("ws.koordinator")
    c.get(reverse("referrals:register"))
    assert_queries_constant(
        lambda: count_get(c, reverse("referrals:register")),
        lambda: [make_referral(personas, "sent") for _ in range(3)],
    )


def test_verification_of_role_play_letter_is_marked(master, personas, cache_table):
    r = make_referral(personas, "sent", roleplay=True)
    html = personas.client(None).get(reverse("referrals:verify", args=[r.verify_token]))
    assert "SIMULASI" in html.content.decode() and "/SIM/" in r.letter_number
