"""The HTTP client the TAXII benchmarks ask with: the leanest honest one.

One ``http.client`` connection per server (opened again whenever the server closes it, as
gunicorn's sync workers do after every response), requests sent with their headers as given,
and every body read whole; the benchmarks parse each JSON body with ``orjson``, as any TAXII
client must. ``requests`` spent about a millisecond of CPU per request on its own machinery
(sessions, hooks, header case folding, cookie jars), and around 10 ms per page of 1,000 objects
with its parsing: figures that were the benchmark's, not the server's.
"""

from __future__ import annotations

import base64
import http.client
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

__all__ = ["LeanClient", "Reply", "wait_until_listening"]

NAME = "http.client (one connection, reopened when the server closes it) + orjson"


@dataclass(frozen=True)
class Reply:
    """A response: status, headers (names lower-cased) and the body as bytes."""

    status: int
    headers: dict[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")


class LeanClient:
    """Requests to one server (``base``: scheme, host and port) with fixed headers."""

    def __init__(
        self, base: str, headers: dict[str, str], *, bearer: str = "", basic: tuple[str, str] | None = None
    ) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.headers = dict(headers)
        if bearer:
            self.headers["Authorization"] = f"Bearer {bearer}"
        if basic is not None:
            self.headers["Authorization"] = "Basic " + base64.b64encode(":".join(basic).encode()).decode()
        self._connection: http.client.HTTPConnection | None = None

    def _request(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Reply:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection(self.host, self.port, timeout=3600)
            try:
                self._connection.request(method, target, body=body, headers=self.headers | headers)
                response = self._connection.getresponse()
                content = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept connection the server closed meanwhile: once more on a new one.
                self.close()
                if attempt == 2:
                    raise
                continue
            if response.will_close:
                self.close()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, content)
        raise AssertionError("unreachable")

    def get(self, url: str, params: dict[str, Any] | None = None) -> Reply:
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
        return self._request("GET", url, None, {})

    def post(self, url: str, data: bytes, headers: dict[str, str] | None = None) -> Reply:
        return self._request("POST", url, data, headers or {})

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def wait_until_listening(url: str, headers: dict[str, str] | None = None, seconds: float = 60) -> bool:
    """Whether ``url`` answers (any status) within ``seconds``."""
    import time

    deadline = time.monotonic() + seconds
    client = LeanClient(url, headers or {})
    while time.monotonic() < deadline:
        try:
            client.get(url)
            return True
        except OSError:  # not listening yet, or still loading
            client.close()
            time.sleep(0.2)
    return False
