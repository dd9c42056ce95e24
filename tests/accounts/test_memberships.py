"""Memberships (a role at exactly one place, for a time) and users, who are never deleted; what
the admin may not do with them."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Membership, Role, User


def test_membership_needs_exactly_one_place(personas, master):
    u = personas["ws.relawan"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            user=u, role=Role.RELAWAN, kelurahan=master["ws"], agency=master["uptd"]
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=u, role=Role.RELAWAN)


def test_membership_role_must_fit_place(personas, master):
    u = personas["ws.relawan"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=u, role=Role.PETUGAS, kelurahan=master["ws"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=u, role=Role.LURAH, agency=master["uptd"])


def test_expired_membership_gives_no_role(personas, master):
    import datetime

    from accounts.roles import roles_of

    u = personas["ws.relawan"]
    u.memberships.update(valid_until=datetime.date(2026, 1, 31))
    u = User.objects.get(pk=u.pk)
    assert roles_of(u).by_kelurahan == {}


def test_users_are_never_deleted(personas):
    with pytest.raises(ValidationError):
        personas["ws.relawan"].delete()


def test_admin_cannot_give_membership_to_themselves(personas, master):
    c = personas.client("admin")
    admin_user = personas["admin"]
    r = c.post(
        reverse("admin:accounts_membership_add"),
        {
            "user": admin_user.pk,
            "kelurahan": master["ws"].pk,
            "role": Role.KOORDINATOR,
            "valid_from": "2026-01-01",
        },
    )
    assert r.status_code == 200
    assert "tidak dapat memberi keanggotaan kepada dirinya sendiri" in r.content.decode()
    assert not Membership.objects.filter(user=admin_user).exists()
    # ...while giving one to someone else works, by the grant table: the lurah role is the
    # admin's to give at a kelurahan of their scope...
    other = User.objects.create(username="new.lurah")
    data = {"user": other.pk, "kelurahan": master["ws"].pk, "valid_from": "2026-01-01"}
    r = c.post(reverse("admin:accounts_membership_add"), {**data, "role": Role.LURAH})
    assert r.status_code == 302
    assert Membership.objects.filter(user=other).count() == 1
    # ...a volunteer or a coordinator is the place's own people's to give (the People page),
    # not the admin's, in the Django admin as anywhere.
    for role in (Role.RELAWAN, Role.KOORDINATOR):
        newcomer = User.objects.create(username=f"new.{role}")
        r = c.post(
            reverse("admin:accounts_membership_add"), {**data, "user": newcomer.pk, "role": role}
        )
        assert r.status_code == 200, role
        assert "tabel pemberian peran" in r.content.decode() or "grant table" in r.content.decode()
        assert not Membership.objects.filter(user=newcomer).exists()
    # Nor change a membership they could not have given.
    held = Membership.objects.get(user=personas["ws.koordinator"])
    r = c.post(
        reverse("admin:accounts_membership_change", args=[held.pk]),
        {
            "user": held.user_id,
            "kelurahan": held.kelurahan_id,
            "role": Role.KOORDINATOR,
            "valid_from": str(held.valid_from),
            "valid_until": "2026-12-31",
        },
    )
    assert r.status_code == 200
    held.refresh_from_db()
    assert held.valid_until is None


def test_admin_cannot_delete_users(personas):
    c = personas.client("admin")
    u = personas["ws.relawan"]
    r = c.post(reverse("admin:accounts_user_delete", args=[u.pk]), {"post": "yes"})
    assert r.status_code in (403, 302)
    assert User.objects.filter(pk=u.pk).exists()
