"""Kota Parepare in the official list, as loaded by migration 0002 (kept as data here so the
migration and the tests read the same rows).

The two pilots' codes are those of Kepmendagri 300.2.2-2138/2025 (Watang Soreang 73.72.03.1003,
Watang Bacukiki 73.72.01.1005; 73.72.03.1004 is Kampung Pisang). The other kelurahan of the
kota are loaded by the mechanism issue with the whole country's list: a code is entered only
where it was checked against the decree."""

PROVINCE = ("73", "Sulawesi Selatan")
KOTA = ("73.72", "kota", "Parepare")
KECAMATAN = [
    ("73.72.01", "Bacukiki"),
    ("73.72.02", "Ujung"),
    ("73.72.03", "Soreang"),
    ("73.72.04", "Bacukiki Barat"),
]
VILLAGES = [
    ("73.72.01.1005", "kelurahan", "Watang Bacukiki"),
    ("73.72.03.1003", "kelurahan", "Watang Soreang"),
    ("73.72.03.1004", "kelurahan", "Kampung Pisang"),
]
# The codes the pilots carried before the correction (wrong): old -> right.
CORRECTIONS = {"73.72.03.1004": "73.72.03.1003", "73.72.01.1002": "73.72.01.1005"}
