"""Django's {# ... #} comment is one line only: a multi-line one is printed as text (it once put
a comment into the letterhead of every procedure annex and monthly report PDF)."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def test_no_multi_line_short_comment_in_any_template():
    bad = []
    for path in ROOT.glob("**/templates/**/*.html"):
        if ".venv" in path.parts:
            continue
        for m in re.finditer(r"\{#(?:(?!#\}).)*?\n", path.read_text(encoding="utf-8")):
            bad.append(f"{path.relative_to(ROOT)}: {m.group(0)[:60]!r}")
    assert not bad, "use {% comment %} for comments over several lines:\n" + "\n".join(bad)
