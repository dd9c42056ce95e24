"""People management in the app (issue 16): invitations by e-mail and in-person code (round trip,
expiry, single use, the grant table checked again at acceptance), giving and ending memberships
by the grant table through accounts/people_service.py whatever the door (hand-made POSTs
included), nobody changes their own memberships, the last coordinator stays, ending all
memberships ends the sessions, deactivation only by an admin whose scope covers the person, the
audit rows, the 90-day inactive list, and the People page in a fixed number of queries."""

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import people_service as svc
from accounts.models import AccountAudit, Invitation, Membership, Role, User
from outbox.services import work_due
from tests.queries import assert_queries_constant, count_get

PASSWORD = "kucing hitam di pasar lakessi"
A = AccountAudit.Action


def _errors(resp):
    return [str(m) for m in get_messages(resp.wsgi_request)]


def _accept(client, secret, username, **more):
    data = {
        "username": username,
        "first_name": "Baru",
        "last_name": "Pendamping",
        "new_password1": PASSWORD,
        "new_password2": PASSWORD,
        **more,
    }
    return client.post(reverse("invitation_accept", args=[secret]), data)


def test_in_person_code_round_trip(personas, master):
    koord = personas.client("ws.koordinator")
    place_role = f"kelurahan:{master['ws'].pk}:{Role.PENDAMPING}"
    page = koord.get(reverse("people_invite")).content.decode()
    assert place_role in page
    # The coordinator is not offered roles above the table.
    assert f"kelurahan:{master['ws'].pk}:{Role.KOORDINATOR}" not in page
    r = koord.post(
        reverse("people_invite"),
        {"place_role": place_role, "first_name": "Wahyuni", "last_name": "Baru"},
    )
    assert r.status_code == 200
    code = re.search(r'class="invitation-code">([A-Z0-9-]+)<', r.content.decode()).group(1)
    inv = Invitation.objects.get()
    # Only a hash is stored.
    assert svc.normalize_code(code) not in (inv.token_hash + inv.nonce)
    assert inv.kind == "code" and inv.role == Role.PENDAMPING

    anon = Client()
    r = anon.post(reverse("invitation_code"), {"code": code.lower()})
    assert r.status_code == 302
    r = _accept(anon, svc.normalize_code(code), "ws.wahyuni")
    assert r.status_code == 302 and r["Location"] == reverse("login")
    user = User.objects.get(username="ws.wahyuni")
    assert user.check_password(PASSWORD) and user.first_name == "Baru"
    m = Membership.objects.active().get(user=user)
    assert (m.kelurahan_id, m.role) == (master["ws"].pk, Role.PENDAMPING)
    assert Client().login(username="ws.wahyuni", password=PASSWORD)
    # The audit log the lurah reads.
    actions = list(
        AccountAudit.objects.filter(kelurahan=master["ws"])
        .order_by("pk")
        .values_list("action", "actor__username", "subject__username")
    )
    assert actions == [
        (A.INVITED, "ws.koordinator", None),
        (A.INVITATION_ACCEPTED, "ws.wahyuni", "ws.wahyuni"),
        (A.MEMBERSHIP_GIVEN, "ws.koordinator", "ws.wahyuni"),
    ]
    lurah_log = personas.client("ws.lurah").get(reverse("account_audit")).content.decode()
    assert "ws.wahyuni" in lurah_log
    assert "Keanggotaan diberikan: Pendamping LBK-KK, Kelurahan Watang Soreang" in lurah_log
    # Single use: the code and the link are dead.
    assert (
        anon.get(reverse("invitation_accept", args=[svc.normalize_code(code)])).status_code == 404
    )
    r = _accept(Client(), svc.normalize_code(code), "ws.wahyuni2")
    assert r.status_code == 404
    assert not User.objects.filter(username="ws.wahyuni2").exists()
    r = Client().post(reverse("invitation_code"), {"code": code})
    assert r.status_code == 200 and "kedaluwarsa" in r.content.decode()


def test_email_invitation_round_trip(personas, master):
    inv, shown = svc.invite(
        actor=personas["ws.kasikesra"],
        role=Role.KOORDINATOR,
        place=master["ws"],
        email="rahmat@example.id",
        first_name="Rahmat",
    )
    assert shown == ""  # nothing to hand over: the link goes by e-mail
    work_due()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["rahmat@example.id"]
    url = re.search(r"https?://\S+/accounts/invitation/(\w+)/", mail.outbox[0].body)
    secret = url.group(1)
    assert svc._hash(secret) == Invitation.objects.get().token_hash
    assert secret not in Invitation.objects.get().nonce
    c = Client()
    assert "Rahmat" in c.get(reverse("invitation_accept", args=[secret])).content.decode()
    r = _accept(c, secret, "ws.rahmat")
    assert r.status_code == 302
    user = User.objects.get(username="ws.rahmat")
    assert user.email == "rahmat@example.id"
    assert Membership.objects.active().filter(user=user, role=Role.KOORDINATOR).exists()


def test_invitation_expires_after_72_hours(personas, master):
    inv, code = svc.invite(actor=personas["ws.koordinator"], role=Role.RELAWAN, place=master["ws"])
    Invitation.objects.filter(pk=inv.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=73),
        expires_at=timezone.now() - dt.timedelta(hours=1),
    )
    r = _accept(Client(), svc.normalize_code(code), "ws.telat")
    assert r.status_code == 404
    assert not User.objects.filter(username="ws.telat").exists()


def test_role_checked_again_when_accepted(personas, master):
    """The coordinator invites, then stops being coordinator: the invitation gives nothing."""
    koord = personas["ws.koordinator"]
    inv, code = svc.invite(actor=koord, role=Role.PENDAMPING, place=master["ws"])
    # Someone else becomes coordinator first (the last coordinator stays), then the lurah ends
    # the inviter's membership.
    other = personas["ws.pendamping2"]
    svc.give(actor=personas["ws.lurah"], subject=other, role=Role.KOORDINATOR, place=master["ws"])
    svc.end(actor=personas["ws.lurah"], membership=Membership.objects.get(user=koord))
    r = _accept(Client(), svc.normalize_code(code), "ws.ditolak")
    assert r.status_code == 200
    assert "tidak lagi boleh memberikan peran ini" in r.content.decode()
    assert not User.objects.filter(username="ws.ditolak").exists()
    assert Invitation.objects.get(pk=inv.pk).used_at is None


def test_role_escalation_refused(personas, master):
    koord, kasi = personas["ws.koordinator"], personas["ws.kasikesra"]
    ws = master["ws"]
    # A coordinator cannot make themselves lurah: not by the service...
    with pytest.raises(svc.Refused):
        svc.give(actor=koord, subject=koord, role=Role.LURAH, place=ws)
    # ...nor by a hand-made POST, nor by inviting a lurah, nor kasi kesra for someone else.
    c = personas.client("ws.koordinator")
    r = c.post(
        reverse("people_give", args=[koord.pk]),
        {"place_role": f"kelurahan:{ws.pk}:{Role.LURAH}", "valid_from": timezone.localdate()},
    )
    assert r.status_code == 302
    with pytest.raises(svc.Refused):
        svc.invite(actor=koord, role=Role.LURAH, place=ws)
    with pytest.raises(svc.Refused):
        svc.give(actor=koord, subject=personas["ws.pendamping"], role=Role.KASI_KESRA, place=ws)
    # A kasi kesra cannot give "admin" (not a role at all) nor the lurah role.
    for role in ("admin", Role.LURAH):
        with pytest.raises(svc.Refused):
            svc.give(actor=kasi, subject=personas["ws.relawan"], role=role, place=ws)
        r = personas.client("ws.kasikesra").post(
            reverse("people_give", args=[personas["ws.relawan"].pk]),
            {"place_role": f"kelurahan:{ws.pk}:{role}", "valid_from": timezone.localdate()},
        )
        assert r.status_code == 302 and _errors(r)
    relawan = User.objects.get(username="ws.relawan")
    assert not relawan.is_lbk_admin and not relawan.is_staff
    assert set(
        Membership.objects.filter(user__in=[koord, relawan]).values_list("role", flat=True)
    ) == {
        Role.KOORDINATOR,
        Role.RELAWAN,
    }
    assert not AccountAudit.objects.filter(action=A.MEMBERSHIP_GIVEN).exists()


def test_nobody_changes_their_own_memberships(personas, master):
    lurah = personas["ws.lurah"]
    own = Membership.objects.get(user=lurah)
    with pytest.raises(svc.Refused) as e:
        svc.end(actor=lurah, membership=own)
    assert "sendiri" in str(e.value).lower() or e.value.reasons
    with pytest.raises(svc.Refused):
        svc.end_all(actor=lurah, subject=lurah, place=master["ws"])
    with pytest.raises(svc.Refused):
        svc.give(actor=lurah, subject=lurah, role=Role.KASI_KESRA, place=master["ws"])
    r = personas.client("ws.lurah").post(reverse("people_end_membership", args=[own.pk]), {})
    assert r.status_code == 302 and _errors(r)
    assert Membership.objects.active().filter(pk=own.pk).exists()


def test_last_coordinator_stays(personas, master):
    lurah, koord = personas["ws.lurah"], personas["ws.koordinator"]
    m = Membership.objects.get(user=koord)
    with pytest.raises(svc.Refused) as e:
        svc.end(actor=lurah, membership=m)
    assert "koordinator terakhir" in str(e.value).lower()
    with pytest.raises(svc.Refused):
        svc.end_all(actor=lurah, subject=koord, place=master["ws"])
    # A later last day is refused too, when nobody takes over by then.
    with pytest.raises(svc.Refused):
        svc.end(actor=lurah, membership=m, last_day=timezone.localdate() + dt.timedelta(days=5))
    assert Membership.objects.active().filter(pk=m.pk, valid_until=None).exists()
    # Once someone else is coordinator, the first may go.
    svc.give(
        actor=lurah, subject=personas["ws.pendamping2"], role=Role.KOORDINATOR, place=master["ws"]
    )
    svc.end(actor=lurah, membership=m)
    assert not Membership.objects.active().filter(pk=m.pk).exists()


def test_end_all_ends_sessions_and_is_audited(personas, master):
    pend = personas["ws.pendamping"]
    session = personas.client("ws.pendamping")
    assert session.get(reverse("home")).status_code == 200
    koord = personas.client("ws.koordinator")
    r = koord.post(
        reverse("people_end_all", args=[pend.pk]), {"place": f"kelurahan:{master['ws'].pk}"}
    )
    assert r.status_code == 302 and r["Location"] == reverse("people_person", args=[pend.pk])
    assert not Membership.objects.active().filter(user=pend).exists()
    # Signed out at once, and the role no longer counts when they sign in again.
    assert session.get(reverse("home")).status_code == 302
    row = AccountAudit.objects.get(action=A.ALL_MEMBERSHIPS_ENDED)
    assert (row.actor, row.subject, row.kelurahan) == (
        personas["ws.koordinator"],
        pend,
        master["ws"],
    )
    assert row.detail["roles"] == [Role.PENDAMPING]
    # The coordinator may not end a kasi kesra's memberships (all or nothing).
    r = koord.post(
        reverse("people_end_all", args=[personas["ws.kasikesra"].pk]),
        {"place": f"kelurahan:{master['ws'].pk}"},
    )
    assert _errors(r)
    assert Membership.objects.active().filter(user=personas["ws.kasikesra"]).exists()


def test_people_of_another_place_are_404(personas, master):
    koord = personas.client("ws.koordinator")
    wb_person = personas["wb.pendamping"]
    assert koord.get(reverse("people_person", args=[wb_person.pk])).status_code == 404
    r = koord.post(
        reverse("people_give", args=[wb_person.pk]),
        {"place_role": f"kelurahan:{master['ws'].pk}:{Role.RELAWAN}", "valid_from": "2026-12-31"},
    )
    assert r.status_code == 404
    wb_m = Membership.objects.get(user=wb_person)
    r = koord.post(reverse("people_end_membership", args=[wb_m.pk]), {})
    assert r.status_code == 404
    # A WS place chosen for a person of WB by the service directly: refused too.
    with pytest.raises(svc.Refused):
        svc.give(
            actor=personas["ws.koordinator"],
            subject=wb_person,
            role=Role.RELAWAN,
            place=master["ws"],
        )
    assert Membership.objects.filter(user=wb_person).count() == 1


def test_give_membership_with_dates(personas, master):
    relawan = personas["ws.relawan"]
    start = timezone.localdate() + dt.timedelta(days=3)
    c = personas.client("ws.koordinator")
    r = c.post(
        reverse("people_give", args=[relawan.pk]),
        {
            "place_role": f"kelurahan:{master['ws'].pk}:{Role.PENDAMPING}",
            "valid_from": start.isoformat(),
            "valid_until": (start + dt.timedelta(days=30)).isoformat(),
        },
    )
    assert r.status_code == 302, r.content
    m = Membership.objects.get(user=relawan, role=Role.PENDAMPING)
    assert (m.valid_from, m.valid_until) == (start, start + dt.timedelta(days=30))
    # The same again overlaps: refused.
    with pytest.raises(svc.Refused):
        svc.give(
            actor=personas["ws.koordinator"],
            subject=relawan,
            role=Role.PENDAMPING,
            place=master["ws"],
            valid_from=start + dt.timedelta(days=1),
        )


def test_deactivation_only_by_an_admin_covering_every_place(personas, master):
    pend = personas["ws.pendamping"]
    with pytest.raises(svc.Refused):
        svc.deactivate(actor=personas["ws.lurah"], subject=pend)
    other = User.objects.create_user(
        "admin.7371", password="x" * 12, is_lbk_admin=True, admin_scope="73.71"
    )
    with pytest.raises(svc.Refused):
        svc.deactivate(actor=other, subject=pend)
    # The admin cannot deactivate the last coordinator either.
    with pytest.raises(svc.Refused):
        svc.deactivate(actor=personas["admin"], subject=personas["ws.koordinator"])
    session = personas.client("ws.pendamping")
    assert session.get(reverse("home")).status_code == 200
    scoped = User.objects.create_user(
        "admin.7372", password="x" * 12, is_lbk_admin=True, admin_scope="73.72"
    )
    svc.deactivate(actor=scoped, subject=pend)
    assert not User.objects.get(pk=pend.pk).is_active
    assert session.get(reverse("home")).status_code == 302
    assert AccountAudit.objects.filter(action=A.ACCOUNT_DEACTIVATED, subject=pend).exists()


def test_agency_admin_manages_own_officers_only(personas, master):
    admin_i = User.objects.create_user("uptd.admin", password="x" * 12)
    Membership.objects.create(user=admin_i, agency=master["uptd"], role=Role.ADMIN_INSTANSI)
    inv, code = svc.invite(actor=admin_i, role=Role.PETUGAS, place=master["uptd"])
    assert code
    with pytest.raises(svc.Refused):
        svc.invite(actor=admin_i, role=Role.PETUGAS, place=master["dp3a"])
    officer = personas["uptdppa.petugas"]
    svc.end(actor=admin_i, membership=Membership.objects.get(user=officer))
    assert not Membership.objects.active().filter(user=officer).exists()
    c = Client()
    c.force_login(admin_i)
    assert c.get(reverse("people")).status_code == 200
    # ...and sees no case: an agency admin is not an officer.
    from accounts.roles import roles_of

    assert roles_of(User.objects.get(pk=admin_i.pk)).agency_ids == []


def test_inactive_list(personas, master):
    old = timezone.now() - dt.timedelta(days=91)
    User.objects.filter(username="ws.relawan").update(last_login=old, date_joined=old)
    User.objects.filter(username__startswith="ws.").exclude(username="ws.relawan").update(
        last_login=timezone.now()
    )
    c = personas.client("ws.koordinator")
    page = c.get(reverse("people"), {"inactive": "1"}).content.decode()
    assert "ws.relawan" in page
    assert "ws.pendamping2" not in page


def _many(personas, master, n):
    for i in range(n):
        u = User.objects.create_user(f"ws.r{i:03d}", password=None, first_name=f"R{i:03d}")
        Membership.objects.create(user=u, kelurahan=master["ws"], role=Role.RELAWAN)
    for _i in range(5):
        svc.invite(actor=personas["ws.lurah"], role=Role.RELAWAN, place=master["ws"])


def test_people_page_constant_queries_and_paginated(personas, master):
    c = personas.client("ws.koordinator")
    url = reverse("people")
    assert_queries_constant(lambda: count_get(c, url), lambda: _many(personas, master, 60))
    first = c.get(url).content.decode()
    second = c.get(url, {"page": "2"}).content.decode()
    assert first.count('href="/accounts/people/') > 20
    assert "ws.r059" not in first or "ws.r059" not in second
    assert 'rel="next"' in first or "page=2" in first


def test_withdraw_an_invitation(personas, master):
    inv, code = svc.invite(
        actor=personas["ws.koordinator"], role=Role.RELAWAN, place=master["ws"], first_name="Ani"
    )
    by_kasi, _code = svc.invite(
        actor=personas["ws.kasikesra"], role=Role.KOORDINATOR, place=master["ws"]
    )
    koord = personas.client("ws.koordinator")
    assert "Ani" in koord.get(reverse("people")).content.decode()
    # The coordinator may not withdraw an invitation to a role above the table.
    r = koord.post(reverse("people_withdraw_invitation", args=[by_kasi.pk]))
    assert _errors(r) and Invitation.objects.get(pk=by_kasi.pk).used_at is None
    # Another kelurahan's coordinator does not even find it.
    r = personas.client("wb.koordinator").post(reverse("people_withdraw_invitation", args=[inv.pk]))
    assert r.status_code == 404
    r = koord.post(reverse("people_withdraw_invitation", args=[inv.pk]))
    assert r.status_code == 302
    assert _accept(Client(), svc.normalize_code(code), "ws.ani").status_code == 404
    row = AccountAudit.objects.get(action=A.INVITATION_REVOKED)
    assert (row.actor, row.kelurahan) == (personas["ws.koordinator"], master["ws"])
