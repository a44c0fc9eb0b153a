"""Faults of the storage beneath Accord, told to the asker for what they are: a full disk, a
read-only or unreachable database, a database busy with a long write, a file store (the raw
store on object storage) that cannot be reached. Each is the operators'
problem, not the asker's and not a bug, and the request did not complete: a 503 (507 when the
storage is full) with a ``Retry-After`` and a message that says so, on the API, TAXII and pages
alike, instead of a bare 500. Nothing is half-stored either way: every write is in a
transaction, and a submission whose reading failed is read again by ``accord worker``.

The message names no table, query, path or driver text: a fault tells the asker only what
they can do about it.
"""

from __future__ import annotations

import errno
import sqlite3
from dataclasses import dataclass

from django.db import DatabaseError, InterfaceError, OperationalError

from accord.core.files import FileStoreUnavailable

__all__ = ["Fault", "contended", "described", "fault_of"]


@dataclass(frozen=True)
class Fault:
    code: str
    http_status: int
    message: str
    retry_after: int  # seconds


FULL = Fault(
    "storage_full",
    507,
    "Accord's storage is full, so this request could not be completed and nothing of it was kept. "
    "Try again once its operators have freed space.",
    600,
)
READ_ONLY = Fault(
    "database_read_only",
    503,
    "Accord's database takes no changes for now (maintenance or fail-over), so this request could not be "
    "completed and nothing of it was kept. Try again in a minute.",
    60,
)
UNREACHABLE = Fault(
    "database_unavailable",
    503,
    "Accord's database cannot be reached, so this request could not be completed and nothing of it was "
    "kept. Try again in a minute.",
    30,
)
BUSY = Fault(
    "database_busy",
    503,
    "Accord's database is busy with a long write, so this request could not be completed and nothing of it "
    "was kept. Try again in a few seconds.",
    5,
)
FILE_STORE = Fault(
    "file_store_unavailable",
    503,
    "Accord's file store cannot be reached, so this request could not be completed and nothing of it was "
    "kept. Try again in a minute.",
    30,
)

# PostgreSQL's SQLSTATE classes and codes (Appendix A of its manual).
_FULL_STATES = {"53100"}  # disk_full
_READ_ONLY_STATES = {"25006"}  # read_only_sql_transaction
_UNREACHABLE_STATES = {"57P01", "57P02", "57P03", "53300"}  # shut down, starting up, too many connections


def _sqlstate(exc: BaseException) -> str | None:
    for found in (exc, exc.__cause__):
        state = getattr(found, "sqlstate", None)
        if isinstance(state, str):
            return state
    return None


# Lost to concurrent work even after trying again (an ingest tries four times), or a lock or
# statement timeout: deadlock_detected, serialization_failure, lock_not_available, query_canceled.
_BUSY_STATES = {"40P01", "40001", "55P03", "57014"}
# SQLite's primary result codes: SQLITE_FULL, READONLY, BUSY, LOCKED, IOERR, CANTOPEN.
_SQLITE_FAULTS = {13: FULL, 8: READ_ONLY, 5: BUSY, 6: BUSY, 10: UNREACHABLE, 14: UNREACHABLE}

# A transaction that lost to a concurrent one: deadlock_detected, serialization_failure, and
# unique_violation (both inserted the same new row; the loser finds it the second time).
_CONTENDED_STATES = {"40P01", "40001", "23505"}


def contended(exc: BaseException) -> bool:
    """Whether ``exc`` is a PostgreSQL transaction's loss to a concurrent one, which the same
    work, begun again, wins."""
    return isinstance(exc, DatabaseError) and _sqlstate(exc) in _CONTENDED_STATES


def described(exc: BaseException) -> str:
    """``exc`` for a log line without its text: its type and SQLSTATE. A database's message names
    the values at fault (``Key (type, value)=(email-addr, …) already exists``), which are shared
    data and stay out of the logs."""
    state = _sqlstate(exc)
    return f"{type(exc).__name__}{f' (SQLSTATE {state})' if state else ''}"


def fault_of(exc: BaseException | None) -> Fault | None:
    """What ``exc`` means for the asker when it is a fault of the storage; ``None`` otherwise
    (a bug stays a 500)."""
    if isinstance(exc, FileStoreUnavailable):
        return FILE_STORE
    if isinstance(exc, OSError) and not isinstance(exc, ConnectionError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            return FULL
        if exc.errno == errno.EROFS:
            return READ_ONLY
        return None
    if not isinstance(exc, DatabaseError):
        return None
    cause = exc.__cause__
    if isinstance(cause, sqlite3.Error):
        # By SQLite's result code, never its text (which names the columns at fault).
        code = getattr(cause, "sqlite_errorcode", None)
        return _SQLITE_FAULTS.get(code & 0xFF) if isinstance(code, int) and isinstance(exc, OperationalError) else None
    state = _sqlstate(exc)
    if state in _UNREACHABLE_STATES or (state is not None and state.startswith("08")):
        return UNREACHABLE  # connection exceptions
    if state in _FULL_STATES:
        return FULL
    if state in _READ_ONLY_STATES:
        return READ_ONLY
    if state in _BUSY_STATES:
        return BUSY
    if state is None and isinstance(exc, InterfaceError | OperationalError):
        return UNREACHABLE  # the driver lost the server: no statement got as far as an answer
    return None
