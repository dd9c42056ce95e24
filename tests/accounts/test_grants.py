"""The grant table of ROLES.md (accounts/grants.py), pair by pair: for every kind of actor, every
place and every role, may they give it there? Everything not listed as allowed is refused."""

import pytest

from accounts import grants
from accounts.models import Agency, Membership, Role, User
from places.models import Kota

K = Role
KEL_STAFF = {K.RELAWAN, K.PENDAMPING}

# actor -> place -> the roles they grant there (every other pair: refused).
EXPECTED = {
    "ws.relawan": {},
    "ws.pendamping": {},
    "ws.koordinator": {"ws": KEL_STAFF},
    "ws.kasikesra": {"ws": KEL_STAFF | {K.KOORDINATOR}},
    "ws.lurah": {"ws": KEL_STAFF | {K.KOORDINATOR, K.KASI_KESRA}},
    "wb.lurah": {"wb": KEL_STAFF | {K.KOORDINATOR, K.KASI_KESRA}},
    "uptd.admin": {"uptd": {K.PETUGAS}},  # the agency admin of UPTD PPA only
    "uptdppa.petugas": {},
    "kota.analis": {},
    # The application admin, whose scope covers the kota (all kota, or 73.72 itself).
    "admin": {
        "ws": {K.LURAH},
        "wb": {K.LURAH},
        "uptd": {K.ADMIN_INSTANSI},
        "dp3a": {K.ADMIN_INSTANSI},
        "kota": {K.ANALIS_KOTA, K.FASILITATOR},
    },
    "admin.7372": {
        "ws": {K.LURAH},
        "wb": {K.LURAH},
        "uptd": {K.ADMIN_INSTANSI},
        "dp3a": {K.ADMIN_INSTANSI},
        "kota": {K.ANALIS_KOTA, K.FASILITATOR},
    },
    "admin.7371": {},  # an admin of another kota: nothing here
}


@pytest.fixture
def actors(personas, master):
    out = dict(personas)
    agency_admin = User.objects.create_user("uptd.admin", password="x" * 12)
    Membership.objects.create(user=agency_admin, agency=master["uptd"], role=K.ADMIN_INSTANSI)
    out["uptd.admin"] = agency_admin
    for name, scope in (("admin.7372", "73.72"), ("admin.7371", "73.71")):
        out[name] = User.objects.create_user(
            name, password="x" * 12, is_lbk_admin=True, admin_scope=scope
        )
    return out


@pytest.mark.parametrize("actor", sorted(EXPECTED))
def test_grant_table_pair_by_pair(actors, master, actor):
    places = {
        "ws": master["ws"],
        "wb": master["wb"],
        "uptd": master["uptd"],
        "dp3a": master["dp3a"],
        "kota": Kota.objects.get(pk="73.72"),
    }
    user = actors[actor]
    wrong = []
    for place_name, place in places.items():
        allowed = EXPECTED[actor].get(place_name, set())
        for role in Role:
            if grants.can_grant_at(user, role, place) != (role in allowed):
                wrong.append((place_name, role.value, role in allowed))
    assert not wrong, f"{actor}: (place, role, expected) {wrong}"


def test_no_grant_at_an_inactive_place(actors, master):
    Agency.objects.filter(pk=master["uptd"].pk).update(is_active=False)
    master["uptd"].refresh_from_db()
    assert not grants.grantable(actors["admin"], master["uptd"])
    master["ws"].is_active = False
    assert not grants.grantable(actors["ws.lurah"], master["ws"])


def test_managed_places(actors, master):
    assert grants.managed_places(actors["ws.koordinator"]).kelurahan == [master["ws"].pk]
    m = grants.managed_places(actors["uptd.admin"])
    assert (m.kelurahan, m.agencies, m.kota) == ([], [master["uptd"].pk], [])
    assert not grants.managed_places(actors["ws.pendamping"])
    assert not grants.managed_places(actors["admin.7371"])
    assert "73.72" in grants.managed_places(actors["admin.7372"]).kota
