"""Fill Indonesian translations into locale/id/LC_MESSAGES/django.po from dict files.

Usage: python scripts/po_fill.py locale_src/*.py   (each file defines T = {msgid: msgstr, ...})
Prints the msgids still untranslated. `make messages` runs makemessages, this, and compilemessages,
so the .po file is generated: edit locale_src/, never the .po by hand (it would merge badly).
"""

import runpy
import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parents[1] / "locale" / "id" / "LC_MESSAGES" / "django.po"


def main():
    po = polib.pofile(str(PO), wrapwidth=100)
    table = {}
    for path in sys.argv[1:]:
        table.update(runpy.run_path(path)["T"])
    for e in po:
        if e.msgid in table:
            if e.msgid_plural:
                e.msgstr_plural = {0: table[e.msgid]}
            else:
                e.msgstr = table[e.msgid]
            if "fuzzy" in e.flags:
                e.flags.remove("fuzzy")
    po.save()
    left = [e.msgid for e in po.untranslated_entries()] + [e.msgid for e in po.fuzzy_entries()]
    for m in left:
        print(repr(m))
    print(f"{len(left)} untranslated", file=sys.stderr)


if __name__ == "__main__":
    main()
