"""Who reads which reports, over which places, with which protection (ROLES.md):

- the coordinator, the kasi kesra and the lurah: their own kelurahan, exact figures, custom
  periods too (role play behind its own switch, for the coordinator);
- the kota analyst: every kelurahan of their kota, the kecamatan and the kota, protected
  (reports/protect.py);
- an agency officer: the referrals addressed to their own agency, protected.
Anyone else gets 404."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import Http404

from accounts.models import KELURAHAN_WIDE_ROLES, Agency, Kelurahan, Role
from accounts.roles import roles_of
from places.models import Kecamatan, Kota

ALL_SECTIONS = ("victims", "violence", "social", "services", "quality", "outreach")


@dataclass
class Place:
    key: str  # "kel:1", "kec:73.72.03", "kota:73.72"
    level: str  # kelurahan, kecamatan, kota
    label: str
    kelurahan_ids: list[int]
    # The zone the place's months are reckoned in (a kota lies in one province: one zone).
    time_zone: str = "Asia/Makassar"

    @property
    def tzinfo(self):
        import zoneinfo

        return zoneinfo.ZoneInfo(self.time_zone)


@dataclass
class Scope:
    protected: bool
    custom_periods: bool
    roleplay_switch: bool
    sections: tuple[str, ...]
    places: list[Place] = field(default_factory=list)
    agency_id: int | None = None
    kota_codes: list[str] = field(default_factory=list)

    def place(self, key: str | None) -> Place:
        for p in self.places:
            if p.key == key:
                return p
        return self.places[0]

    def kecamatan_of(self) -> dict[str, str]:
        return {p.key[4:]: p.label for p in self.places if p.level == "kecamatan"}


def scope_for(user) -> Scope:
    roles = roles_of(user)
    wide = roles.kelurahan_with(*KELURAHAN_WIDE_ROLES)
    if wide:
        kels = Kelurahan.objects.filter(pk__in=wide, is_active=True).order_by("name")
        coordinator = bool(roles.kelurahan_with(Role.KOORDINATOR))
        return Scope(
            protected=False,
            custom_periods=True,
            roleplay_switch=coordinator,
            sections=ALL_SECTIONS,
            places=[Place(f"kel:{k.pk}", "kelurahan", str(k), [k.pk], k.time_zone) for k in kels],
        )
    if roles.kota_codes:
        return _kota_scope(roles.kota_codes, sections=ALL_SECTIONS)
    if roles.agency_ids:
        agency = Agency.objects.filter(pk__in=roles.agency_ids).order_by("pk").first()
        if agency is None:
            raise Http404
        scope = _kota_scope([agency.kota_code], sections=("services",))
        scope.agency_id = agency.pk
        return scope
    raise Http404


def _kota_scope(codes: list[str], *, sections: tuple[str, ...]) -> Scope:
    kels = list(
        Kelurahan.objects.filter(region__kecamatan__kota_id__in=codes, is_active=True)
        .select_related("region__kecamatan__kota")
        .order_by("region_id")
    )
    from places.loader import zone_of

    places: list[Place] = []
    for kota in Kota.objects.filter(code__in=codes):
        places.append(
            Place(
                f"kota:{kota.code}",
                "kota",
                str(kota),
                [k.pk for k in kels if k.region.kecamatan.kota_id == kota.code],
                zone_of(kota.code),
            )
        )
    for kec in Kecamatan.objects.filter(kota_id__in=codes):
        ids = [k.pk for k in kels if k.region.kecamatan_id == kec.code]
        places.append(Place(f"kec:{kec.code}", "kecamatan", str(kec), ids, zone_of(kec.code)))
    for k in kels:
        places.append(Place(f"kel:{k.pk}", "kelurahan", str(k), [k.pk], k.time_zone))
    return Scope(
        protected=True,
        custom_periods=False,
        roleplay_switch=False,
        sections=sections,
        places=places,
        kota_codes=list(codes),
    )
