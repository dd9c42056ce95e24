"""Backup and restore of the database and the stored files (README, Keamanan dan privasi).

A backup is a folder `posko-backup-<timestamp>/` holding:
- `db.json`: every row (Django's dumpdata with natural keys) read in one transaction (REPEATABLE
  READ, read only, on PostgreSQL), so it is one consistent snapshot; restorable into any empty,
  migrated database of the same app version by `manage.py restore`;
- `db.sqlite3` (SQLite: the sqlite3 online-backup API) or `db.pgdump` (PostgreSQL, when pg_dump is
  installed: custom format, for `pg_restore` into an empty database by the operator);
- `files.tar.gz`: every stored file (attachments, issued letters, printed procedures) read through
  the storage API, from MEDIA_ROOT or the object-storage bucket alike. Taken after the database:
  stored files are written once and before their row is committed, so every file the snapshot
  names is in it;
- `manifest.json`: versions, applied migrations, row counts per model, where the files were kept
  (backend, bucket, region; no key), SHA-256 and size of each file above. `restore` checks them
  before touching anything.
"""

import hashlib
import json
import os
import shutil
import sqlite3

# pg_dump runs with an argument list, never through a shell (bandit B404, B603).
import subprocess  # nosec B404
import tarfile
from pathlib import Path

import django
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from lbk.storage import describe, walk

FORMAT = 1
# Rebuilt by `migrate` (content types, permissions) or worthless after a restore (sessions and
# the per-user index of their keys).
NOT_DUMPED = ["contenttypes", "auth.permission", "sessions", "accounts.sessionindex"]
NOT_COUNTED = {
    "contenttypes.contenttype",
    "auth.permission",
    "sessions.session",
    "accounts.sessionindex",
}


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def row_counts():
    out = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in NOT_COUNTED or not model._meta.managed or model._meta.proxy:
            continue
        out[label] = model._base_manager.count()
    return out


def applied_migrations():
    return sorted(
        f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()
    )


def _dump_json(path):
    fresh = not connection.in_atomic_block
    with transaction.atomic():
        if fresh and connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        call_command(
            "dumpdata",
            natural_foreign=True,
            natural_primary=True,
            exclude=NOT_DUMPED,
            output=str(path),
            verbosity=0,
        )
        counts = row_counts()
    return counts


def _sqlite_backup(path):
    connection.ensure_connection()
    dest = sqlite3.connect(str(path))
    try:
        connection.connection.backup(dest)
    finally:
        dest.close()


def _pg_env_and_args():
    s = connection.settings_dict
    env = dict(os.environ)
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])
    args = []
    if s.get("HOST"):
        args += ["-h", str(s["HOST"])]
    if s.get("PORT"):
        args += ["-p", str(s["PORT"])]
    if s.get("USER"):
        args += ["-U", str(s["USER"])]
    return env, args


def _pg_dump(path):
    exe = shutil.which("pg_dump")
    if not exe:
        return False
    env, args = _pg_env_and_args()
    cmd = [exe, "-Fc", "--no-owner", "--no-privileges", "-f", str(path), *args]
    cmd.append(str(connection.settings_dict["NAME"]))
    subprocess.run(cmd, env=env, check=True, capture_output=True)  # noqa: S603  # nosec B603
    return True


def _tar_media(path):
    """Every stored file (attachments, letters, printed procedures), read through the storage
    API: the local MEDIA_ROOT or the object-storage bucket alike. Returns (count, bytes)."""
    n = total = 0
    with tarfile.open(path, "w:gz") as tar:
        for name in walk(default_storage):
            with default_storage.open(name, "rb") as fh:
                info = tarfile.TarInfo(name)
                info.size = default_storage.size(name)
                info.mode = 0o600
                info.mtime = int(timezone.now().timestamp())
                tar.addfile(info, fh)
            n += 1
            total += info.size
    return n, total


def make_backup(output_dir) -> Path:
    output_dir = Path(output_dir)
    dest = output_dir / f"posko-backup-{timezone.now():%Y%m%d-%H%M%S-%f}"
    dest.mkdir(parents=True, mode=0o700)
    manifest = {
        "format": FORMAT,
        "app": "posko-lbk",
        "created_at": timezone.now().isoformat(),
        "django": django.get_version(),
        "database_vendor": connection.vendor,
        "migrations": applied_migrations(),
    }
    if connection.vendor == "sqlite":
        _sqlite_backup(dest / "db.sqlite3")
    elif connection.vendor == "postgresql":
        _pg_dump(dest / "db.pgdump")
    manifest["counts"] = _dump_json(dest / "db.json")
    manifest["media_files"], manifest["media_bytes"] = _tar_media(dest / "files.tar.gz")
    manifest["storage"] = describe(default_storage)
    manifest["files"] = {
        p.name: {"sha256": sha256_of(p), "size": p.stat().st_size} for p in sorted(dest.iterdir())
    }
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    for p in dest.iterdir():
        p.chmod(0o600)
    return dest


def read_manifest(path):
    path = Path(path)
    mf = path / "manifest.json"
    if not mf.exists():
        raise CommandError(f"{path}: no manifest.json, not a Posko LBK backup.")
    manifest = json.loads(mf.read_text())
    if manifest.get("format") != FORMAT or manifest.get("app") != "posko-lbk":
        raise CommandError(f"{path}: unknown backup format.")
    for name, info in manifest["files"].items():
        f = path / name
        if not f.exists() or sha256_of(f) != info["sha256"]:
            raise CommandError(f"{path}: {name} is missing or damaged (SHA-256 differs).")
    return manifest


def database_is_empty():
    return all(count == 0 for count in row_counts().values())


def restore_backup(path, *, prefer_json=False):
    path = Path(path)
    manifest = read_manifest(path)
    if not database_is_empty():
        raise CommandError(
            "The database is not empty. Restore into a new, empty database "
            "(create it, run `manage.py migrate`, then `manage.py restore`)."
        )
    missing = sorted(set(manifest["migrations"]) - set(applied_migrations()))
    if missing:
        raise CommandError(
            "The database lacks migrations the backup was made with: "
            + ", ".join(missing[:5])
            + ". Run `manage.py migrate` with the same app version first."
        )
    native = path / "db.sqlite3"
    if connection.vendor == "sqlite" and native.exists() and not prefer_json:
        connection.ensure_connection()
        src = sqlite3.connect(str(native))
        try:
            src.backup(connection.connection)
        finally:
            src.close()
    else:
        with transaction.atomic():
            call_command("loaddata", str(path / "db.json"), verbosity=0)
    _restore_media(path / "files.tar.gz")
    counts = row_counts()
    wrong = {
        label: (n, counts.get(label))
        for label, n in manifest["counts"].items()
        if label not in NOT_COUNTED and counts.get(label) != n
    }
    if wrong:
        raise CommandError(f"Restored row counts differ from the backup: {wrong}")
    return manifest


def _restore_media(tar_path):
    """Put every file of the archive back through the storage API, under its own name. A name
    that already exists must hold the same bytes (a repeated restore); anything else is refused
    rather than stored under another name, which the database would not find."""
    with tarfile.open(tar_path, "r:gz") as tar:
        for member in tar:
            name = member.name
            parts = name.split("/")
            if not member.isfile() or name.startswith("/") or ".." in parts or "\\" in name:
                raise CommandError(f"Refused a file in the archive: {name[:80]!r}")
            data = tar.extractfile(member).read()
            if default_storage.exists(name):
                with default_storage.open(name, "rb") as fh:
                    if fh.read() != data:
                        raise CommandError(f"{name} already exists with other content.")
                continue
            saved = default_storage.save(name, ContentFile(data))
            if saved != name:
                raise CommandError(f"{name} was stored as {saved}.")
