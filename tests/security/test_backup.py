"""Backup and restore: a backup restored into an empty database finds every case, letter and
attachment (and every stored file with the same SHA-256), with the files on the local folder and
in object storage (moto's S3 server on loopback) alike."""

import hashlib
import json
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, models

from attachments.models import Attachment
from attachments.services import attachment_add
from cases.models import AccessLog, Case, CaseEvent, Victim
from lbk.storage import walk
from tests.factories import make_case, make_referral
from tests.uploads import PDF_BYTES, gps_exif, jpeg_bytes, upload

pytestmark = pytest.mark.django_db(transaction=True)


def _stored_files():
    """Every file any model points to (attachments, letters once referrals exist): name -> sha."""
    out = {}
    for model in apps.get_models():
        fields = [f for f in model._meta.fields if isinstance(f, models.FileField)]
        for f in fields:
            for obj in model._base_manager.exclude(**{f.name: ""}):
                fh = getattr(obj, f.name)
                with fh.open("rb") as fp:
                    out[f"{model._meta.label}:{obj.pk}:{fh.name}"] = hashlib.sha256(
                        fp.read()
                    ).hexdigest()
    return out


def _letters():
    try:
        Referral = apps.get_model("referrals", "Referral")
    except LookupError:
        return None
    return sorted(Referral.objects.values_list("pk", flat=True))


@pytest.fixture
def data(personas, master, settings, tmp_path, storage_backend):
    ws = make_case(personas, "handling")
    wb = make_case(personas, kel="wb", victims=[{"full_name": "Korban Bacukiki"}])
    attachment_add(
        case=ws,
        uploaded=upload("foto.jpg", jpeg_bytes(exif=gps_exif())),
        description="Foto",
        actor=personas["ws.pendamping"],
    )
    attachment_add(
        case=wb, uploaded=upload("visum.pdf", PDF_BYTES), description="", actor=personas["wb.lurah"]
    )
    AccessLog.objects.create(user=personas["ws.pendamping"], case=ws, action="view")
    # An issued letter (PDF stored through the storage API).
    settings.SITE_URL = "https://posko.example.id"
    make_referral(personas, "sent", case=ws, victim=ws.victims.get())
    return tmp_path


def _snapshot():
    return {
        "cases": sorted(Case.objects.values_list("number", flat=True)),
        "victims": sorted(Victim.objects.values_list("full_name", flat=True)),
        "events": CaseEvent.objects.count(),
        "logs": AccessLog.objects.count(),
        "attachments": sorted(Attachment.objects.values_list("sha256", flat=True)),
        "files": _stored_files(),
        "letters": _letters(),
    }


def _empty_everything():
    call_command("flush", interactive=False, verbosity=0)
    for name in list(walk(default_storage)):
        default_storage.delete(name)
    assert not Case.objects.exists()
    assert not list(walk(default_storage))


@pytest.mark.parametrize("from_json", [False, True])
def test_backup_restores_into_empty_database(data, settings, from_json, storage_backend):
    before = _snapshot()
    assert len(before["cases"]) == 2 and len(before["files"]) == 3  # 2 attachments, 1 letter
    assert len(before["letters"]) == 1
    out = data / "backups"
    call_command("backup", output=str(out), verbosity=0)
    [backup] = list(out.iterdir())
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["counts"]["cases.case"] == 2
    assert manifest["counts"]["attachments.attachment"] == 2
    assert manifest["media_files"] == 3
    assert manifest["storage"]["backend"].endswith(
        "S3Storage" if storage_backend == "s3" else "FileSystemStorage"
    )
    assert "secret" not in json.dumps(manifest["storage"]).lower()
    for name, info in manifest["files"].items():
        assert hashlib.sha256((backup / name).read_bytes()).hexdigest() == info["sha256"]
    native = "db.sqlite3" if connection.vendor == "sqlite" else "db.pgdump"
    assert (backup / native).exists()
    # Restoring over live data is refused.
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(backup), verbosity=0)

    _empty_everything()
    call_command("restore", str(backup), from_json=from_json, verbosity=0)
    assert _snapshot() == before
    # The restored letter still matches its recorded SHA-256.
    from referrals import letters
    from referrals.models import Referral

    [referral] = Referral.objects.all()
    assert letters.read_letter(referral).startswith(b"%PDF")


def test_damaged_backup_is_refused(data, settings):
    out = data / "backups"
    call_command("backup", output=str(out), verbosity=0)
    [backup] = list(out.iterdir())
    db_json = backup / "db.json"
    db_json.write_text(db_json.read_text().replace("Korban", "Palsu"))
    _empty_everything()
    with pytest.raises(CommandError, match="damaged"):
        call_command("restore", str(backup), verbosity=0)
    assert not Case.objects.exists()


@pytest.mark.postgres
def test_pg_dump_restores_with_pg_restore(data):
    """The native PostgreSQL dump restores with pg_restore into a new, empty database."""
    import subprocess

    import psycopg

    out = data / "backups"
    call_command("backup", output=str(out), verbosity=0)
    [backup] = list(out.iterdir())
    s = connection.settings_dict
    target = f"{s['NAME']}_restore"
    conninfo = dict(host=s["HOST"] or None, port=s["PORT"] or None, user=s["USER"] or None)
    with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{target}"')
        admin.execute(f'CREATE DATABASE "{target}"')
    try:
        args = ["pg_restore", "--no-owner", "--no-privileges", "-d", target]
        for flag, key in (("-h", "HOST"), ("-p", "PORT"), ("-U", "USER")):
            if s.get(key):
                args += [flag, str(s[key])]
        subprocess.run([*args, str(backup / "db.pgdump")], check=True, capture_output=True)
        with psycopg.connect(dbname=target, **conninfo) as conn:
            numbers = sorted(r[0] for r in conn.execute("SELECT number FROM cases_case"))
            n_att = conn.execute("SELECT count(*) FROM attachments_attachment").fetchone()[0]
            trig = conn.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%%_append_only'"
            ).fetchone()[0]
        assert numbers == sorted(Case.objects.values_list("number", flat=True))
        assert n_att == 2
        assert trig == 4  # every immutable model's table (cases.models.append_only_tables)
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{target}"')
    assert Path(backup / "files.tar.gz").exists()
