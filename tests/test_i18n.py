"""The Indonesian catalogue (locale/id/LC_MESSAGES/django.po, edited by translators) is complete,
well formed, and its compiled form is up to date."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
from django.utils import translation

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locale" / "id" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
# As in `make messages` (the Makefile): locations are file names only.
MAKEMESSAGES_ARGS = ["--add-location=file", "--no-obsolete"]


def _label(entry):
    return f"{entry.msgctxt} | {entry.msgid}" if entry.msgctxt else entry.msgid


def test_every_indonesian_string_is_translated():
    po = polib.pofile(str(PO))
    untranslated = [_label(e) for e in po.untranslated_entries()]
    fuzzy = [_label(e) for e in po.fuzzy_entries()]
    assert not untranslated, f"untranslated: {untranslated[:20]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:20]}"


def test_catalogue_covers_every_source_string(tmp_path):
    """makemessages on a copy of the source finds no msgid missing from the catalogue."""
    copy = tmp_path / "src"
    ignore = shutil.ignore_patterns(
        ".venv", ".git", "staticfiles", "var", "node_modules", "__pycache__", "screenshots", "tests"
    )
    shutil.copytree(ROOT, copy, ignore=ignore)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "id", *MAKEMESSAGES_ARGS],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "true", "SECRET_KEY": "x" * 50},
    )
    fresh = polib.pofile(str(copy / "locale" / "id" / "LC_MESSAGES" / "django.po"))
    committed = {(e.msgctxt, e.msgid) for e in polib.pofile(str(PO))}
    missing = [_label(e) for e in fresh if (e.msgctxt, e.msgid) not in committed]
    assert not missing, f"strings missing from the catalogue (run make messages): {missing[:20]}"


def test_compiled_catalogue_is_up_to_date():
    po = polib.pofile(str(PO))
    mo = polib.mofile(str(MO))
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in mo}
    stale = [
        _label(e) for e in po.translated_entries() if compiled.get((e.msgctxt, e.msgid)) != e.msgstr
    ]
    assert not stale, f"compiled .mo is stale (run make messages): {stale[:20]}"


def test_catalogue_header_names_the_project_language_and_plural_rule():
    po = polib.pofile(str(PO))
    meta = po.metadata
    assert meta["Project-Id-Version"] == "Posko LBK"
    assert meta["Language"] == "id"
    assert meta["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"
    assert "charset=UTF-8" in meta["Content-Type"]
    assert meta["Language-Team"].startswith("Indonesian")
    assert not po.metadata_is_fuzzy, "the header is marked fuzzy"


def test_entries_say_in_which_files_they_are_used():
    """Translators see where a string is used; file names only, so diffs stay small."""
    po = polib.pofile(str(PO))
    located = [e for e in po if e.occurrences]
    assert len(located) >= 0.95 * len(po), "entries without locations (run make messages)"
    with_lines = [_label(e) for e in located if any(line for _, line in e.occurrences)]
    assert not with_lines, f"locations with line numbers (run make messages): {with_lines[:5]}"


def test_when_asks_kapan_on_forms():
    """A form field labelled "When" asks "Kapan"; the access-log column "When" says "Waktu"."""
    from cases.forms.procedure import ConsentForm, FirstContactForm
    from referrals.forms import EmergencyForm, StepForm

    fields = [
        FirstContactForm.base_fields["contacted_at"],
        ConsentForm.base_fields["given_at"],
        EmergencyForm.base_fields["made_at"],
        StepForm.base_fields["when"],
    ]
    with translation.override("id"):
        assert [str(f.label) for f in fields] == ["Kapan"] * 4
        assert translation.pgettext("column heading: time of a log entry", "When") == "Waktu"


def test_no_translation_call_inside_an_f_string():
    """makemessages (xgettext) does not look inside f-strings: a gettext call there is never in
    the catalogue, and the page shows English (it happened to the navigation's name)."""
    import re

    call = re.compile(r"""\bf(["']).*?\{[^}]*\b(_|gettext|gettext_lazy|pgettext|ngettext)\(""")
    found = []
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or "migrations" in path.parts:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if call.search(line):
                found.append(f"{path.relative_to(ROOT)}:{n}")
    assert not found, found
