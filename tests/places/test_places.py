"""The place hierarchy (Kemendagri codes), the pilots' corrected codes, codes checked against the
loaded list, and memberships at kota level (the kota analyst)."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Kelurahan, Membership, Role, User
from accounts.roles import roles_of
from places.models import Kecamatan, Kota, Village


def test_parepare_is_loaded_and_the_pilots_roll_up(master):
    ws, wb = master["ws"], master["wb"]
    assert ws.region_code == "73.72.03.1003"  # Kepmendagri 300.2.2-2138/2025
    assert wb.region_code == "73.72.01.1005"
    assert Village.objects.get(code="73.72.03.1004").name == "Kampung Pisang"
    assert ws.region.kecamatan.name == "Soreang" and wb.region.kecamatan.name == "Bacukiki"
    assert ws.region.kecamatan.kota == wb.region.kecamatan.kota == Kota.objects.get(code="73.72")
    assert Kota.objects.get(code="73.72").province.name == "Sulawesi Selatan"
    assert Kecamatan.objects.filter(kota_id="73.72").count() == 4


def test_a_code_outside_the_loaded_list_cannot_be_saved(master):
    kel = Kelurahan.objects.get(code="WS")
    kel.region_id = "73.72.03.9999"
    with pytest.raises(IntegrityError), transaction.atomic():
        kel.save()
        # SQLite checks foreign keys at commit; ask it now.
        from django.db import connection

        connection.check_constraints()


def test_membership_at_kota_level(personas, master):
    u = personas["ws.relawan"]
    kota = Kota.objects.get(code="73.72")
    # exactly one of kelurahan, agency, kota
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=u, role=Role.ANALIS_KOTA, kota=kota, agency=master["dp3a"])
    # the role fits the kind of place
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=u, role=Role.KOORDINATOR, kota=kota)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=u, role=Role.ANALIS_KOTA, kelurahan=master["ws"])
    analyst = personas["kota.analis"]
    roles = roles_of(User.objects.get(pk=analyst.pk))
    assert roles.kota_codes == ["73.72"] and not roles.by_kelurahan and not roles.by_agency


def test_admin_grants_kota_analyst_only_within_scope(personas, master):
    admin_user = personas["admin"]
    admin_user.admin_scope = "73.71"  # Makassar: not Parepare
    admin_user.save()
    Kota.objects.create(code="73.71", province_id="73", kind="kota", name="Makassar")
    c = personas.client("admin")
    target = User.objects.create(username="calon.analis")
    data = {
        "user": target.pk,
        "kota": "73.72",
        "role": Role.ANALIS_KOTA,
        "valid_from": "2026-01-01",
    }
    r = c.post(reverse("admin:accounts_membership_add"), data)
    assert r.status_code == 200 and not Membership.objects.filter(user=target).exists()
    admin_user.admin_scope = "73.72"
    admin_user.save()
    r = c.post(reverse("admin:accounts_membership_add"), data)
    assert r.status_code == 302
    assert Membership.objects.get(user=target).kota_id == "73.72"
