"""The protection of small numbers for kota-level users and agency officers (issue 15):

- counts from 1 to 4 are shown as "<5"; every other count, totals included, is rounded to the
  nearest 5 (and the table says so), so no subtraction between periods, places or totals gives
  an exact small number;
- fixed periods only (month, quarter, year);
- tables of at most two dimensions; places down to kelurahan only in one-dimension tables;
  two-dimension tables stop at kecamatan;
- figures about sexual violence or children at kecamatan level at the finest.
"""

from __future__ import annotations

SMALL = "<5"


def shown(n: int, protected: bool) -> int | str:
    """The value a reader sees for a count."""
    if not protected:
        return n
    if 1 <= n <= 4:
        return SMALL
    return 5 * ((n + 2) // 5)
