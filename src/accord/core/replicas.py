"""Read replicas: which reads a PostgreSQL streaming replica may serve, and when it may not.

With ``ACCORD_REPLICA_DATABASE_URL`` set, the database aliases ``replica`` (``replica_2``, …)
exist beside ``default`` (the primary), and :class:`ReplicaRouter` is installed. A query goes to
a replica only when all of these hold:

1. a view asked for it (:func:`replica_reads`, :class:`ReplicaListMixin`): the heavy analysts'
   reads named in ``docs/deployment.md``, and nothing else;
2. the request only reads: GET, HEAD or OPTIONS (:class:`ReplicaMiddleware`);
3. the asker changed nothing in the last ``ACCORD_REPLICA_MAX_LAG_SECONDS`` + 1 s (read your
   writes: :func:`remember_write`, kept in the shared cache so every host knows);
4. the query is of the store or the analysis (the apps in :data:`REPLICA_APPS`), outside any
   transaction on the primary and after no write of those apps in this request, and not within
   :func:`primary_reads`;
5. a replica answers and has replayed the primary's changes up to at most
   ``ACCORD_REPLICA_MAX_LAG_SECONDS`` ago (measured once per request).

Else the primary answers, and a replica that is unreachable or too far behind is logged and
counted (``accord_replica_reads_total``), never an error.

What the policy decides by is never read from a replica: people, sessions and tokens,
organisations, agreements and their versions are models of ``core`` and ``partners`` and
Django's own apps, which the router sends to the primary whatever asks (the policy's agreement
cache reads the primary's rows directly, :mod:`accord.policy.agreements`). So a suspension, a
revocation of a token or a person made inactive counts on the next request through a replica as
through the primary; what a replica can hold back is the store's content (an object revoked
by its originator, a new object), and never by more than the lag allowed.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse

from accord.core.metrics import REPLICA_READS

__all__ = [
    "REPLICA_APPS",
    "ReplicaListMixin",
    "ReplicaMiddleware",
    "ReplicaRouter",
    "primary_reads",
    "reads_from_replica",
    "remember_write",
    "replica_lag",
    "replica_reads",
]

log = logging.getLogger(__name__)

# The apps whose reads a replica may serve: the store and what analysts make of it. Everything
# else, the policy's inputs first (people, tokens, organisations, agreements), is read from the
# primary.
REPLICA_APPS = frozenset({"sharing", "analysis"})
# After a replica did not answer, this process asks the primary alone for this long: a replica
# host that drops packets would otherwise cost every request its connection timeout.
UNREACHABLE_PAUSE_SECONDS = 10.0
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_UNDECIDED = "?"

# How far behind the primary the standby is, in seconds. Caught up: it has replayed all the WAL it
# received while streaming. Otherwise: since the last transaction it replayed was committed (on a
# primary that wrote nothing for a while this over-states the lag, never under-states it). Not in
# recovery: the server is a primary (the primary itself, named as its own replica): nothing to
# wait for. pg_stat_wal_receiver's status is visible to pg_read_all_stats (pg_monitor) only;
# without it the second measure is used.
_LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
         AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 'Infinity')
END
"""


@dataclass
class _Reads:
    """One request's replica reads: whether a view asked for them, whether the request wrote to
    what a replica serves, and the replica chosen (decided on first use)."""

    user_id: int | None = None
    asked: int = 0
    primary: int = 0
    wrote: bool = False
    alias: str | None = _UNDECIDED

    def usable(self) -> bool:
        return self.asked > 0 and self.primary == 0 and not self.wrote


_READS: ContextVar[_Reads | None] = ContextVar("accord_replica_reads", default=None)
_UNREACHABLE_UNTIL: dict[str, float] = {}


def _pin_key(user_id: int) -> str:
    return f"accord:replica:wrote:{user_id}"


def remember_write(user_id: int | None) -> None:
    """The person ``user_id`` just changed something: their reads go to the primary for
    ``ACCORD_REPLICA_MAX_LAG_SECONDS`` + 1 s, by which time any replica allowed to serve has
    replayed the change."""
    if user_id is None or not settings.ACCORD_REPLICA_ALIASES:
        return
    try:
        cache.set(_pin_key(user_id), True, timeout=settings.ACCORD_REPLICA_MAX_LAG_SECONDS + 1)
    except DatabaseError as exc:  # the answer is given; the pin is bookkeeping
        log.warning("replica: could not remember a write by user %s (%s)", user_id, type(exc).__name__)


def _pinned(user_id: int | None) -> bool:
    if user_id is None:
        return False
    try:
        return bool(cache.get(_pin_key(user_id)))
    except DatabaseError:
        return True  # the primary's trouble will show in the request itself


def replica_lag(alias: str) -> float:
    """Seconds the replica ``alias`` is behind the primary (see ``_LAG_SQL``). Raises
    ``DatabaseError`` when it does not answer."""
    connection = connections[alias]
    # Another engine is the test suite's stand-in (the same SQLite file): it is asked whether it
    # answers, and has no lag. Settings take PostgreSQL replicas only.
    with connection.cursor() as cursor:
        cursor.execute(_LAG_SQL if connection.vendor == "postgresql" else "SELECT 0")
        row = cursor.fetchone()
    return float(row[0])


def _choose() -> str | None:
    """A replica fit to serve now, tried in random order (spreading the reads), else ``None``."""
    aliases = list(settings.ACCORD_REPLICA_ALIASES)
    random.shuffle(aliases)  # noqa: S311 - load spreading, not security
    allowed = settings.ACCORD_REPLICA_MAX_LAG_SECONDS
    outcome = "unreachable"
    for alias in aliases:
        if _UNREACHABLE_UNTIL.get(alias, 0.0) > time.monotonic():
            continue
        try:
            lag = replica_lag(alias)
        except DatabaseError as exc:
            log.warning("read replica %s did not answer (%s): reading from the primary", alias, exc)
            _UNREACHABLE_UNTIL[alias] = time.monotonic() + UNREACHABLE_PAUSE_SECONDS
            with suppress(DatabaseError):
                connections[alias].close()
            continue
        if lag > allowed:
            log.warning(
                "read replica %s is %.1f s behind (at most %s allowed): reading from the primary", alias, lag, allowed
            )
            outcome = "lagging"
            continue
        REPLICA_READS.labels("replica").inc()
        return alias
    REPLICA_READS.labels(outcome).inc()
    return None


def _replica_for_read() -> str | None:
    reads = _READS.get()
    if reads is None or not reads.usable() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return None
    if reads.alias == _UNDECIDED:
        if _pinned(reads.user_id):
            REPLICA_READS.labels("pinned").inc()
            reads.alias = None
        else:
            reads.alias = _choose()
    return reads.alias


class ReplicaRouter:
    """Installed when replicas are configured (``DATABASE_ROUTERS``): reads of the store and the
    analysis go to a replica when the request allows it (see the module), everything else is the
    primary's; writes and migrations are the primary's alone."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        if model._meta.app_label not in REPLICA_APPS:
            return DEFAULT_DB_ALIAS  # the policy's inputs, even through an object a replica loaded
        if getattr(model, "read_from_primary", False):
            # Rows kept per reader whose freshness is judged on the primary (their inputs' stamp):
            # a lagging standby would serve rows older than the agreement the stamp was read with.
            return DEFAULT_DB_ALIAS
        return _replica_for_read()  # None: Django's choice (the instance's database, else the primary)

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        reads = _READS.get()
        if reads is not None and model._meta.app_label in REPLICA_APPS:
            reads.wrote = True  # what follows in this request reads what it wrote, from the primary
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # every alias holds the same database

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


class ReplicaMiddleware:
    """Opens each reading request's replica state (views then ask for replica reads), and after a
    request that may have changed something remembers that its author wrote. Without replicas
    configured it does nothing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.ACCORD_REPLICA_ALIASES:
            return self.get_response(request)
        if request.method in _SAFE_METHODS:
            token = _READS.set(_Reads())
            try:
                return self.get_response(request)
            finally:
                _READS.reset(token)
        response = self.get_response(request)
        user = getattr(request, "user", None)  # DRF puts a token's user here too
        if user is not None and user.is_authenticated:
            remember_write(user.pk)
        return response


@contextmanager
def reads_from_replica(request: Any) -> Iterator[None]:
    """Within it, the reads of ``request`` a replica may serve go to one (see the module): for
    the body of a view that is one of the heavy analysts' reads."""
    reads = _READS.get()
    if reads is None:
        yield
        return
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        reads.user_id = user.pk
    reads.asked += 1
    try:
        yield
    finally:
        reads.asked -= 1


_View = TypeVar("_View", bound=Callable[..., Any])


def replica_reads(view: _View) -> _View:
    """Marks a page whose reads a replica may serve (within the limits of the module): the heavy
    analysts' reads only, each a read of shared data the policy bounds from the primary's
    facts."""

    @wraps(view)
    def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
        with reads_from_replica(request):
            return view(request, *args, **kwargs)

    return wrapped  # type: ignore[return-value]


class ReplicaListMixin:
    """A viewset whose ``list`` a replica may serve (:func:`replica_reads`); put it first among
    the bases. Retrieves and actions stay on the primary."""

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        with reads_from_replica(request):
            return super().list(request, *args, **kwargs)  # type: ignore[misc]


@contextmanager
def primary_reads() -> Iterator[None]:
    """Within it, every read is the primary's: for a cache derived from the store and stamped with
    the primary's state (a reader's campaigns), which a replica's older rows would falsify."""
    reads = _READS.get()
    if reads is None:
        yield
        return
    reads.primary += 1
    try:
        yield
    finally:
        reads.primary -= 1
