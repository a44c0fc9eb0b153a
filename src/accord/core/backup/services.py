"""``backup_create`` and ``backup_restore``: the whole installation's state in one archive and back.

State is the database and the stored files its rows name (raw submissions in the raw store,
local or in object storage; agreement and meeting documents under ``MEDIA_ROOT``), and the
secret key when it is a file (what encrypts the enrichers' and feeds' secrets and keys minted
ids). Not state: the warning-list index, static
files, the ``live`` cache (rebuilt or transient), and the audit checkpoints' signing key (kept
apart on purpose: see docs/backup.md).
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

import accord
from accord.core.backup.archive import FORMAT, FORMAT_VERSION, ROOT, ArchiveWriter, read_manifest, safe_name, unpack
from accord.core.backup.databases import (
    BackupError,
    database_is_empty,
    opened,
    pg_dump_snapshot,
    pg_restore,
    sqlite_settings,
    sqlite_snapshot,
    vendor,
)
from accord.core.backup.state import chain_state, migration_state, stored_files, table_counts
from accord.core.files import RAW, FileStoreUnavailable, is_local, reaching

__all__ = ["BackupReport", "backup_create", "backup_restore"]

Progress = Callable[[str], None]
_DB_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
_EVERY_FILES = 500


def _quiet(message: str) -> None:
    """Progress that goes nowhere."""


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


@dataclass
class BackupReport:
    """What an archive holds, or what a restore put back: counts, chain verdict, files."""

    path: Path
    vendor: str
    counts: dict[str, int]
    audit: dict[str, Any]
    files: int
    bytes: int
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _state(using: str) -> dict[str, Any]:
    return {
        "counts": table_counts(using),
        "migrations": migration_state(using),
        "audit": chain_state(using),
        "files": {alias: sorted(names) for alias, names in sorted(stored_files(using).items())},
    }


def _archive_files(writer: ArchiveWriter, names: list[tuple[str, str]], progress: Progress) -> list[str]:
    """Copy each stored file, read through the storage that holds it, as ``media/<name>``; the
    names of those missing. A storage that cannot be reached stops the backup."""
    missing: list[str] = []
    for done, (alias, name) in enumerate(names, 1):
        store = storages[alias]
        safe_name(name)
        try:
            with reaching(store):
                found = store.exists(name)
                if found:
                    with store.open(name, "rb") as handle:
                        assert handle.file is not None  # noqa: S101 - an opened file has one
                        writer.add_stream(f"media/{name}", handle.file, handle.size, storage=alias)
        except FileStoreUnavailable as error:
            raise BackupError(
                f"The {alias} file store could not be read ({error}): no archive was written. "
                "Check that it is reachable (ACCORD_RAW_S3_ENDPOINT_URL, credentials) and back up again."
            ) from error
        if not found:
            missing.append(name)
        if done % _EVERY_FILES == 0 or done == len(names):
            progress(f"files: {done}/{len(names)}, {_mb(writer.bytes)} written")
    return missing


def _secret_key_file() -> Path | None:
    path = settings.ACCORD_HOME / "secret_key"
    return path if not os.environ.get("ACCORD_SECRET_KEY") and path.exists() else None


def backup_create(*, path: Path, progress: Progress = _quiet) -> BackupReport:
    """Write a consistent archive of the installation to ``path`` while it serves.

    The database is copied first (one consistent moment); the stored files its copy refers to
    are copied after, so each exists (stored files are immutable and written before the row that
    names them commits); files stored later are not referred to and not needed.
    """
    db_vendor = vendor()
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} is not a directory: the archive cannot be written there.")
    writer = ArchiveWriter(path)
    work = Path(tempfile.mkdtemp(prefix=".backup-", dir=path.parent))
    try:
        dump = work / _DB_MEMBER[db_vendor]
        if db_vendor == "sqlite":
            progress("database: copying with SQLite's online backup …")
            sqlite_snapshot(dump)
            with opened(sqlite_settings(dump, read_only=True)) as alias:
                state = _state(alias)
        else:
            progress("database: pg_dump of one snapshot …")
            with pg_dump_snapshot(dump) as alias:
                state = _state(alias)
        progress(f"database: {_mb(dump.stat().st_size)}; {state['audit']['checked']} audit events")
        writer.add_file(_DB_MEMBER[db_vendor], dump)
        dump.unlink()
        by_storage: dict[str, list[str]] = state.pop("files")
        names = [(alias, name) for alias, named in by_storage.items() for name in named]
        missing = _archive_files(writer, names, progress)
        secret = _secret_key_file()
        if secret is not None:
            writer.add_bytes("home/secret_key", secret.read_bytes())
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "accord_version": accord.__version__,
            "created_at": timezone.now().isoformat(),
            "database": {"vendor": db_vendor, "member": f"{ROOT}/{_DB_MEMBER[db_vendor]}"},
            "secret_key": "archived" if secret is not None else "environment",
            "files": {
                "referenced": len(names),
                "archived": len(names) - len(missing),
                "missing": missing,
                "storages": {alias: len(named) for alias, named in by_storage.items()},
            },
            **state,
        }
        writer.finish(manifest)
    except BaseException:
        writer.abandon()
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return BackupReport(
        path=path,
        vendor=db_vendor,
        counts=state["counts"],
        audit=state["audit"],
        files=len(names) - len(missing),
        bytes=path.stat().st_size,
        missing=missing,
    )


def _check_compatible(manifest: dict[str, Any], db_vendor: str) -> list[str]:
    """Refuse an archive of another vendor or of a newer Accord; notes for an older one."""
    theirs = manifest.get("database", {}).get("vendor")
    if theirs != db_vendor:
        raise BackupError(
            f"This archive holds a {theirs} database and this installation runs on {db_vendor}: restore it into "
            f"an installation on {theirs} (ACCORD_DATABASE_URL), then move the data with Django's dumpdata/loaddata "
            "if you must change vendor."
        )
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    unknown = sorted(
        f"{app}.{name}"
        for app, names in manifest.get("migrations", {}).items()
        for name in names
        if (app, name) not in known
    )
    if unknown:
        raise BackupError(
            f"This archive comes from a newer Accord ({manifest.get('accord_version')}): this one lacks "
            f"{len(unknown)} of its migrations, first {unknown[0]}. Install that version or newer, then restore."
        )
    applied = {(app, name) for app, names in manifest.get("migrations", {}).items() for name in names}
    newer = [key for key in known if key not in applied]
    if newer:
        return [f"this Accord has {len(newer)} migration(s) newer than the archive: run `accord init` to apply them"]
    return []


def _compare(manifest: dict[str, Any], state: dict[str, Any]) -> None:
    differ = [
        f"{label} {manifest['counts'].get(label)} → {state['counts'].get(label)}"
        for label in sorted(set(manifest["counts"]) | set(state["counts"]))
        if manifest["counts"].get(label) != state["counts"].get(label)
    ]
    if differ:
        raise BackupError(f"The restored database does not hold what the archive says: {'; '.join(differ[:5])}.")
    keys = ("ok", "checked", "problem", "head_seq", "head_hash")
    if any(manifest["audit"].get(k) != state["audit"].get(k) for k in keys):
        raise BackupError(
            f"The restored audit chain differs from the archive's: {state['audit']} instead of {manifest['audit']}."
        )


def _storage_of(manifest: dict[str, Any]) -> Callable[[str], str]:
    """Which storage each ``media/`` member goes back to. An archive written before the raw store
    could be elsewhere names none: its files all went under ``MEDIA_ROOT``, where a local raw
    store keeps them too, and it cannot be restored into an object store as it is."""
    members: dict[str, dict[str, Any]] = manifest["members"]
    if "storages" not in manifest["files"] and not is_local(storages[RAW]):
        raise BackupError(
            "This archive was written before Accord could keep the raw store in object storage, and this "
            "installation keeps it there (ACCORD_RAW_STORAGE=s3): restore it with ACCORD_RAW_STORAGE=file, copy "
            "$ACCORD_HOME/media/submissions/ into the bucket (under ACCORD_RAW_S3_PREFIX), then switch back."
        )
    return lambda member: str(members[member].get("storage", "default"))


def _place_files(staging: Path, manifest: dict[str, Any]) -> int:
    """Put the staged stored files back into the storage each came from: moved into place on the
    local file system (a same-content file is kept as it is), uploaded to an object store unless
    it holds the name already (stored files are immutable: the same name is the same bytes)."""
    storage_of = _storage_of(manifest)
    placed = 0
    root = staging / ROOT / "media"
    for source in sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []:
        name = source.relative_to(root).as_posix()
        alias = storage_of(f"{ROOT}/media/{name}")
        store = storages[alias]
        if is_local(store):
            target = Path(store.path(name))
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
        else:
            try:
                with reaching(store), source.open("rb") as handle:
                    if not store.exists(name):
                        store.save(name, File(handle))
            except FileStoreUnavailable as error:
                raise BackupError(
                    f"The {alias} file store could not be written ({error}) after {placed} file(s): the database "
                    "was not restored. Check that it is reachable and restore again (files already there are kept)."
                ) from error
        placed += 1
    return placed


def _restore_sqlite(staged: Path, manifest: dict[str, Any]) -> None:
    """Check the staged copy as a database of its own, then put it in place in one rename."""
    target = Path(connections["default"].settings_dict["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.with_name(f".{target.name}.restoring-{secrets.token_hex(4)}")
    shutil.move(staged, incoming)
    try:
        with opened(sqlite_settings(incoming, read_only=False)) as alias:
            with connections[alias].cursor() as cursor:
                cursor.execute("PRAGMA integrity_check")
                verdict = cursor.fetchone()[0]
            if verdict != "ok":
                raise BackupError(f"The archived SQLite database fails its integrity check: {verdict}.")
            _compare(manifest, _state(alias))
        connections["default"].close()
        os.replace(incoming, target)
    finally:
        incoming.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):  # a previous database's log must not be replayed onto this one
        target.with_name(target.name + suffix).unlink(missing_ok=True)


def _restore_secret_key(staging: Path, manifest: dict[str, Any], notes: list[str]) -> None:
    archived = staging / ROOT / "home" / "secret_key"
    if manifest.get("secret_key") != "archived" or not archived.exists():
        notes.append(
            "the archived installation took ACCORD_SECRET_KEY (and ACCORD_ID_KEY) from its environment: set the same "
            "values here, or stored secrets and minted ids will not match"
        )
        return
    if os.environ.get("ACCORD_SECRET_KEY"):
        if os.environ["ACCORD_SECRET_KEY"].strip() != archived.read_text().strip():
            notes.append(
                "ACCORD_SECRET_KEY here differs from the archived secret key: unset it (the archived key is now in "
                "$ACCORD_HOME/secret_key) or set it to that key"
            )
    target = settings.ACCORD_HOME / "secret_key"
    incoming = target.with_name(".secret_key.restoring")
    fd = os.open(incoming, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(archived.read_bytes())
    os.replace(incoming, target)


def _where() -> str:
    """Where the stored files went, for a person: the folder or the bucket of each storage."""
    raw = storages[RAW]
    bucket = getattr(raw, "bucket_name", None)
    if bucket is None:
        return f"under {settings.MEDIA_ROOT}"
    prefix = getattr(raw, "location", "")
    return f"documents under {settings.MEDIA_ROOT}, submissions in bucket {bucket}{'/' + prefix if prefix else ''}"


def backup_restore(*, path: Path, force: bool = False, progress: Progress = _quiet) -> BackupReport:
    """Put an archive back into this installation: a fresh database (``force``: any) of the same
    vendor. Every member is verified before anything is touched; the database goes in all at
    once (SQLite: one rename; PostgreSQL: one transaction), then is compared with the manifest."""
    db_vendor = vendor()
    manifest = read_manifest(path)
    notes = _check_compatible(manifest, db_vendor)
    if not database_is_empty() and not force:
        raise BackupError(
            "The database is not empty: restore into a fresh one (a new ACCORD_HOME for SQLite, a new database "
            "for PostgreSQL), or give --force to replace what it holds."
        )
    home = settings.ACCORD_HOME
    home.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=home))
    total = len(manifest["members"])

    def unpacked(count: int, size: int) -> None:
        if count % _EVERY_FILES == 0 or count == total:
            progress(f"verified {count}/{total} member(s)")

    try:
        unpack(path, manifest, staging, unpacked)
        progress("every checksum matches the manifest")
        placed = _place_files(staging, manifest)
        progress(f"files: {placed} stored file(s) in place ({_where()})")
        staged = staging / safe_name(manifest["database"]["member"])
        if db_vendor == "sqlite":
            _restore_sqlite(staged, manifest)
        else:
            pg_restore(staged, force=force)
            try:
                _compare(manifest, _state("default"))
            except BackupError as error:
                raise BackupError(
                    f"{error} The database now holds the restore: drop it, create it empty and restore again."
                ) from error
        progress("database: restored and compared with the manifest")
        _restore_secret_key(staging, manifest, notes)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    state = {"counts": table_counts("default"), "audit": chain_state("default")}
    return BackupReport(
        path=path,
        vendor=db_vendor,
        counts=state["counts"],
        audit=state["audit"],
        files=manifest["files"]["archived"],
        bytes=path.stat().st_size,
        missing=manifest["files"]["missing"],
        notes=notes,
    )
