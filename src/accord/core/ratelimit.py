"""Fixed-window rate limits that every worker and host counts together.

Rare events (failed sign-ins, anonymous applications) are counted in the shared cache, the
database by default. Every request to the API and TAXII is counted per credential and per
address (:class:`RequestRateMiddleware`) in a small file per counter under a file lock
(:func:`count_request`), never in the database: counting must not wait on an ingest's write lock
nor add a query to every read.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import logging
import math
import os
import struct
import time
from collections.abc import Callable
from contextlib import suppress
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from accord.core.errors import json_error

__all__ = [
    "RequestRateMiddleware",
    "client_ip",
    "count_request",
    "login_failed",
    "login_locked",
    "login_succeeded",
    "parse_rate",
    "rate_counters_prune",
    "rate_limit_hit",
]

log = logging.getLogger(__name__)

_PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}


def client_ip(request: Any) -> str:
    """The client's address: ``REMOTE_ADDR``, or behind ``ACCORD_TRUSTED_PROXIES`` reverse
    proxies the address the outermost trusted proxy saw. A client cannot choose it by sending
    its own ``X-Forwarded-For``."""
    proxies = settings.ACCORD_TRUSTED_PROXIES
    remote = str(request.META.get("REMOTE_ADDR", ""))
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if part.strip()]
    return forwarded[-proxies] if len(forwarded) >= proxies else remote


def parse_rate(rate: str) -> tuple[int, int]:
    """``"10/hour"`` → ``(10, 3600)``."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip().lower()]


def _bucket(scope: str, ident: str, window: int) -> tuple[str, int]:
    """The key of the current window's counter, and the seconds it has left."""
    now = time.time()
    start = int(now // window) * window
    return f"ratelimit:{scope}:{ident}:{start}", max(1, math.ceil(start + window - now))


def _hits(scope: str, ident: str, window: int) -> int:
    key, _ = _bucket(scope, ident, window)
    return int(cache.get(key, 0))


def _hit(scope: str, ident: str, window: int) -> int:
    """Count one hit in the current window; the window's count. The counter lives exactly until
    its window ends (``incr`` alone would give it the cache's default lifetime)."""
    key, left = _bucket(scope, ident, window)
    cache.add(key, 0, timeout=left)
    try:
        hits = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=left)
        return 1
    cache.touch(key, timeout=left)
    return hits


def rate_limit_hit(scope: str, ident: str, rate: str) -> bool:
    """Count one hit; ``True`` while the client is within ``rate``, ``False`` once over it."""
    limit, window = parse_rate(rate)
    return _hit(scope, ident, window) <= limit


# -- sign-in failures ---------------------------------------------------------------------------


def _login_limits() -> tuple[tuple[str, int, int], tuple[str, int, int]]:
    per_account = parse_rate(settings.ACCORD_LOGIN_FAILURES_PER_ACCOUNT)
    per_address = parse_rate(settings.ACCORD_LOGIN_FAILURES_PER_ADDRESS)
    return ("login-account", *per_account), ("login-address", *per_address)


def _idents(username: str, address: str) -> tuple[str, str]:
    return username.strip().lower()[:150], address


def login_locked(username: str, address: str) -> bool:
    """Whether sign-in is refused for now: this account, or this address, failed too often in
    the current window (``ACCORD_LOGIN_FAILURES_PER_ACCOUNT`` / ``_PER_ADDRESS``). An unknown
    account name counts like a known one, so the lock tells nobody which names exist."""
    return any(
        _hits(scope, ident, window) >= limit
        for (scope, limit, window), ident in zip(_login_limits(), _idents(username, address), strict=True)
    )


def login_failed(username: str, address: str) -> bool:
    """Count a failed sign-in against the account and the address; whether this failure locked
    either of them (it reached its limit now)."""
    locked = False
    for (scope, limit, window), ident in zip(_login_limits(), _idents(username, address), strict=True):
        locked |= _hit(scope, ident, window) == limit
    return locked


def login_succeeded(username: str) -> None:
    """A right password: the account's failures are forgotten (the address's are not)."""
    (scope, _, window), _ = _login_limits()
    key, _ = _bucket(scope, _idents(username, "")[0], window)
    cache.delete(key)


# -- requests to the API and TAXII --------------------------------------------------------------

_COUNTER = struct.Struct("<qq")  # the window's start (epoch seconds), the requests counted in it
_LIMITED_PATHS = ("/api/", "/taxii2/")
_WARN_EVERY = 60.0
_last_warning = [0.0]


@lru_cache(maxsize=1024)  # a client asks again and again: its counters' names are kept, not hashed again
def _counter_file(folder: str | os.PathLike[str], secret: str, scope: str, ident: str) -> str:
    """The counter's file: named by a keyed digest, so the folder names no token or address."""
    digest = hashlib.blake2b(f"{scope}\0{ident}".encode(), key=secret.encode()[:64]).hexdigest()[:40]
    return os.path.join(folder, digest[:2], digest)


def count_request(scope: str, ident: str, window: int) -> tuple[int, int]:
    """Count one request in the current ``window`` (seconds) of the counter ``scope``/``ident``:
    the requests counted in the window so far, this one included, and the seconds it has left.
    The file is read and rewritten under an exclusive lock, so no concurrent request (another
    worker, another host on the shared folder) is lost."""
    now = time.time()
    start = int(now // window) * window
    path = _counter_file(settings.ACCORD_RATE_COUNTERS_DIR, settings.SECRET_KEY, scope, ident)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except FileNotFoundError:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        raw = os.pread(fd, _COUNTER.size, 0)
        begun, hits = _COUNTER.unpack(raw) if len(raw) == _COUNTER.size else (0, 0)
        hits = hits + 1 if begun == start else 1
        os.pwrite(fd, _COUNTER.pack(start, hits), 0)
    finally:
        os.close(fd)  # and with it the lock
    return hits, max(1, math.ceil(start + window - now))


def _credential(request: HttpRequest) -> str | None:
    """What the request authenticates with, before anyone looks it up: its API token (``Bearer``,
    or the password of TAXII's ``Basic``, so that the two count as one), else its session
    cookie. A made-up token counts against itself and against the address."""
    scheme, _, value = str(request.META.get("HTTP_AUTHORIZATION", "")).strip().partition(" ")
    token = value.strip()
    if scheme.lower() == "basic":
        try:
            token = base64.b64decode(token, validate=True).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            pass  # counted as sent; authentication will refuse it
    if token:
        return f"token:{token}"
    session = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    return f"session:{session}" if session else None


def _limits(request: HttpRequest) -> list[tuple[str, str, str]]:
    limits = []
    if settings.ACCORD_API_RATE_PER_ADDRESS:
        limits.append(("api-address", client_ip(request), settings.ACCORD_API_RATE_PER_ADDRESS))
    credential = _credential(request)
    if credential is not None and settings.ACCORD_API_RATE_PER_TOKEN:
        limits.append(("api-credential", credential, settings.ACCORD_API_RATE_PER_TOKEN))
    return limits


def request_refused_for(request: HttpRequest) -> tuple[str, int] | None:
    """Count the request against its address and its credential; when either is past its rate,
    which (``"address"``, ``"token"``) and the seconds until its window ends. Counting that fails
    (the folder unwritable, the disk full) lets the request through and says so in the log,
    at most once a minute: a request never fails because of its own bookkeeping."""
    refused: tuple[str, int] | None = None
    for scope, ident, rate in _limits(request):
        limit, window = parse_rate(rate)
        try:
            hits, left = count_request(scope, ident, window)
        except OSError as exc:
            if time.monotonic() - _last_warning[0] > _WARN_EVERY:
                _last_warning[0] = time.monotonic()
                log.warning("Request rates are not counted: %s (%s).", type(exc).__name__, exc.strerror)
            return None
        if hits > limit and (refused is None or left > refused[1]):
            refused = ("address" if scope == "api-address" else "token", left)
    return refused


class RequestRateMiddleware:
    """Per-credential and per-address request rates on the API and TAXII
    (``ACCORD_API_RATE_PER_TOKEN``, ``ACCORD_API_RATE_PER_ADDRESS``): a request past either is
    answered 429, in the path's error shape, with ``Retry-After`` — before any session or
    database work. Pages are not limited here (sign-in has its own lock)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(_LIMITED_PATHS):
            refused = request_refused_for(request)
            if refused is not None:
                return _too_many(request, *refused)
        return self.get_response(request)


def _too_many(request: HttpRequest, kind: str, retry_after: int) -> HttpResponse:
    with suppress(Resolver404):  # the route's name, for the access log and the metrics
        request.resolver_match = resolve(request.path_info)
    whose = "this address" if kind == "address" else "this credential"
    message = f"Too many requests from {whose}; try again in {retry_after} s."
    response = json_error(request, 429, "throttled", message, title="Too many requests")
    response["Retry-After"] = str(retry_after)
    return response


def rate_counters_prune() -> int:
    """Remove the request counters no request touched for a day (the longest window): the folder
    stays the size of the clients seen lately. The number removed."""
    folder = Path(settings.ACCORD_RATE_COUNTERS_DIR)
    cutoff = time.time() - _PERIODS["day"]
    removed = 0
    for path in folder.glob("*/*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # removed by another host's prune
            continue
    return removed
