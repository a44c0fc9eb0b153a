"""A consistent copy of the database while Accord serves, and putting one back, per vendor.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies the file in one step under
one read transaction; in WAL mode writers go on meanwhile. PostgreSQL: ``pg_dump
--format=custom`` run on a snapshot exported by a repeatable-read transaction that stays open
while Accord reads the same snapshot (counts, chain, file names): the dump and what the manifest
says of it are the same moment. Either way the snapshot is opened as a Django database alias, so
the same ORM code reads it.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.utils import load_backend

__all__ = [
    "SNAPSHOT_ALIAS",
    "BackupError",
    "database_is_empty",
    "opened",
    "pg_dump_snapshot",
    "pg_restore",
    "sqlite_snapshot",
    "vendor",
]

SNAPSHOT_ALIAS = "accord_backup"
_LIBPQ_OPTIONS = (
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslcrl",
    "connect_timeout",
    "application_name",
    "target_session_attrs",
    "options",
    "service",
    "passfile",
)


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


def vendor() -> str:
    """``sqlite`` or ``postgresql``: the vendor of the default database."""
    name = connections["default"].vendor
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups know SQLite and PostgreSQL, not {name}.")
    return name


@contextmanager
def opened(settings_dict: dict[str, Any]) -> Iterator[str]:
    """A Django alias over ``settings_dict`` for this thread, closed and forgotten afterwards.

    Made like Django's own dynamic connections (in the thread's handler, not in ``DATABASES``),
    so the ORM reads a snapshot through ``using=`` and nothing else ever sees the alias."""
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, SNAPSHOT_ALIAS)
    setattr(connections._connections, SNAPSHOT_ALIAS, wrapper)  # type: ignore[attr-defined]
    try:
        yield SNAPSHOT_ALIAS
    finally:
        wrapper.close()
        delattr(connections._connections, SNAPSHOT_ALIAS)  # type: ignore[attr-defined]


def sqlite_settings(path: Path, *, read_only: bool) -> dict[str, Any]:
    """The default database's settings over another SQLite file (no WAL: a file of its own)."""
    clone = copy.deepcopy(connections["default"].settings_dict)
    clone["NAME"] = f"file:{path}?mode=ro" if read_only else str(path)
    clone["OPTIONS"] = {"uri": True} if read_only else {}
    clone["CONN_MAX_AGE"] = 0
    return clone


def sqlite_snapshot(target: Path) -> None:
    """Copy the live SQLite database to ``target`` in one step of the online backup API."""
    source_name = connections["default"].settings_dict["NAME"]
    source = sqlite3.connect(f"file:{source_name}?mode=ro", uri=True, timeout=60)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)  # pages=-1: one step, one read transaction, never restarted
            destination.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
        finally:
            destination.close()
    finally:
        source.close()


def _pg_connection() -> tuple[str, dict[str, str]]:
    """pg_dump's and pg_restore's ``--dbname`` (a conninfo) and environment: the password goes in
    ``PGPASSWORD``, never on a command line."""
    from psycopg.conninfo import make_conninfo

    db = connections["default"].settings_dict
    params = {"dbname": db.get("NAME"), "host": db.get("HOST"), "port": db.get("PORT"), "user": db.get("USER")}
    params |= {key: value for key, value in (db.get("OPTIONS") or {}).items() if key in _LIBPQ_OPTIONS}
    environment = dict(os.environ)
    if db.get("PASSWORD"):
        environment["PGPASSWORD"] = str(db["PASSWORD"])
    return make_conninfo(**{k: str(v) for k, v in params.items() if v not in (None, "")}), environment


def _tool_major(path: str) -> int | None:
    try:
        out = subprocess.run(  # noqa: S603 - a PostgreSQL tool we looked up
            [path, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except OSError:
        return None
    found = re.search(r"\b(\d+)(?:\.\d+)?", out)
    return int(found.group(1)) if found else None


def _pg_tool(name: str) -> str:
    """``pg_dump`` or ``pg_restore`` at least as new as the server, or a clear error."""
    server = connections["default"].pg_version // 10000  # type: ignore[attr-defined]
    if settings.ACCORD_PG_BIN_DIR:
        candidates = [str(Path(settings.ACCORD_PG_BIN_DIR) / name)]
    else:
        versioned = sorted(
            Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
            key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
            reverse=True,
        )
        candidates = [str(p) for p in versioned] + [found for found in [shutil.which(name)] if found]
    seen = []
    for candidate in candidates:
        major = _tool_major(candidate)
        if major is not None and major >= server:
            return candidate
        if major is not None:
            seen.append(f"{candidate} ({major})")
    if seen:
        raise BackupError(
            f"{name} must be at least as new as the PostgreSQL server ({server}); found only {', '.join(seen)}. "
            f"Install the client (Debian: apt install postgresql-client-{server}) or set ACCORD_PG_BIN_DIR."
        )
    raise BackupError(
        f"{name} not found (looked in {', '.join(candidates) or '/usr/lib/postgresql/*/bin and PATH'}). "
        f"Install the PostgreSQL client {server} or newer (Debian: apt install postgresql-client-{server}) "
        "or set ACCORD_PG_BIN_DIR to the directory that holds it."
    )


@contextmanager
def pg_dump_snapshot(target: Path) -> Iterator[str]:
    """Start ``pg_dump`` of one exported snapshot into ``target`` and yield an alias reading that
    same snapshot; on leaving, wait for the dump and fail if it failed."""
    tool = _pg_tool("pg_dump")
    clone = copy.deepcopy(connections["default"].settings_dict)
    clone["CONN_MAX_AGE"] = 0
    with opened(clone) as alias, transaction.atomic(using=alias):
        with connections[alias].cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        conninfo, environment = _pg_connection()
        dump = subprocess.Popen(  # noqa: S603 - our own arguments
            [tool, "--format=custom", f"--snapshot={snapshot}", f"--file={target}", "--no-password", "-d", conninfo],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            yield alias
        finally:
            _, errors = dump.communicate()
        if dump.returncode != 0:
            raise BackupError(f"pg_dump failed ({dump.returncode}): {errors.strip()}")


def pg_restore(dump: Path, *, force: bool) -> None:
    """Load a custom-format dump into the default database in one transaction: all or nothing."""
    tool = _pg_tool("pg_restore")
    connections["default"].close()
    conninfo, environment = _pg_connection()
    command = [tool, "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges", "--no-password"]
    if force:
        command += ["--clean", "--if-exists"]
    result = subprocess.run(  # noqa: S603 - our own arguments
        [*command, "-d", conninfo, str(dump)],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(
            f"pg_restore failed ({result.returncode}); its single transaction was rolled back, the database "
            f"is as it was. {result.stderr.strip()}"
        )


def database_is_empty() -> bool:
    """Whether the default database holds no table yet (a fresh one to restore into)."""
    if vendor() == "sqlite":
        path = Path(connections["default"].settings_dict["NAME"])
        if not path.exists() or path.stat().st_size == 0:
            return True
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as probe:
            row = probe.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
        probe.close()
        return bool(row[0] == 0)
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        )
        return bool(cursor.fetchone()[0] == 0)
