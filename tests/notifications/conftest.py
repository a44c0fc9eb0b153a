"""Fixtures of the notification tests: a real HTTP receiver on the loopback interface, and two
partners sharing under their agreements."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from accord.taxii.services import collections_sync
from tests.factories import UserFactory, make_agreement
from tests.programme.conftest import course, unit, unit_contributor  # noqa: F401 - fixtures of the training reminders
from tests.stix_samples import bundle


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver: every POST kept; answers ``status`` (settable) with a short text."""

    url: str = ""
    status: int = 200
    received: list[Received] = field(default_factory=list)


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.ACCORD_WEBHOOK_ALLOW_LOOPBACK = True
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            answer = b"ok" if state.status < 300 else b"receiver broke"
            self.send_response(state.status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def partners(partner: Any, other_partner: Any, people: Any, settings: Any, tmp_path: Any) -> dict[str, Any]:
    """Kestrel (``partner``, whose contributor and reader are ``people``) and the bank
    (``other_partner``), both under data-sharing agreements up to AMBER+STRICT."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner, tlp_ceiling="red")
    make_agreement(other_partner, tlp_ceiling="red")
    collections_sync()
    return {
        "kestrel": people["partner_contributor"],
        "kestrel_reader": people["partner_reader"],
        "bank": UserFactory(organisation=other_partner, role="partner_contributor", username="banker"),
    }


def share(client: Any, *objects: dict[str, Any], name: str = "shared.json") -> dict[str, Any]:
    """Objects shared through the API (read at once: small)."""
    upload = io.BytesIO(bundle(*objects))
    upload.name = name
    response = client.post("/api/v1/submissions/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    return dict(response.json())
