"""Shared setup of the enrichment tests: a bank shares mule accounts, phones, domains and wallets at
several TLPs; the host runs the offline enrichers; Kestrel offers a signed HTTP service on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from accord.core.models import Organisation
from accord.enrichment.models import Enricher
from accord.enrichment.services import enricher_add
from accord.sharing.models import Observable
from tests.factories import UserFactory, make_agreement

IBAN = "DE89370400440532013000"
PHONE = "+254712345678"
DOMAIN = "login.secure-bank.co.uk"
BTC = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
ETH = "0x52908400098527886E0F7030069857D2E4169EE7"
AMBER_IP = "198.51.100.23"
STRICT_DOMAIN = "strict-only.example.com"
SECRET = "kestrel-shared-secret-2026"

CSV = (
    "type,value,tlp\n"
    f"iban,{IBAN},green\n"
    f"phone,{PHONE},green\n"
    f"domain,{DOMAIN},green\n"
    f"btc,{BTC},green\n"
    f"eth,{ETH},green\n"
    f"ipv4,{AMBER_IP},amber\n"
    f"domain,{STRICT_DOMAIN},amber+strict\n"
).encode()


def share(api_for: Any, banker: Any, data: bytes = CSV, name: str = "mules.csv") -> dict[str, Any]:
    upload = io.BytesIO(data)
    upload.name = name
    response = api_for(banker).post("/api/v1/submissions/", {"file": upload, "format": "csv"}, format="multipart")
    assert response.status_code == 201, response.json()
    return dict(response.json())


def observable(value: str) -> Observable:
    return Observable.objects.get(value=value)


@pytest.fixture
def banker(partner: Organisation, other_partner: Organisation, people: Any, settings: Any, tmp_path: Any) -> Any:
    """The bank (other_partner) shares under a data-sharing agreement; Kestrel (partner) reads."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    make_agreement(other_partner)
    return UserFactory(organisation=other_partner, role="partner_contributor")


@pytest.fixture
def offline(host: Organisation) -> dict[str, Enricher]:
    """The four offline enrichers, provided by the host (ceiling RED: nothing leaves the platform)."""
    return {
        kind: enricher_add(actor=None, name=f"{kind}-offline", kind=kind, organisation=host, tlp_ceiling="red")
        for kind in ("iban", "phone", "domain", "crypto")
    }


@pytest.fixture
def shared(api_for: Any, banker: Any, offline: dict[str, Enricher]) -> dict[str, Any]:
    return share(api_for, banker)


@dataclass
class PartnerService:
    """What the local partner service received, and how it should answer."""

    url: str
    secret: str = SECRET
    received: list[dict[str, Any]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    service: PartnerService

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        timestamp = self.headers.get("X-Accord-Timestamp", "")
        expected = (
            "sha256="
            + hmac.new(self.service.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        )
        signed = hmac.compare_digest(expected, self.headers.get("X-Accord-Signature", ""))
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 300
        request = json.loads(body)
        self.service.received.append({"path": self.path, "body": request, "signed": signed, "fresh": fresh})
        if not (signed and fresh):
            self._answer(401, "application/json", b'{"error": "bad signature"}')
        elif self.path == "/html":
            self._answer(200, "text/html", b"<html>maintenance</html>")
        elif self.path == "/broken":
            self._answer(500, "text/plain", b"database down")
        elif self.path == "/list":
            self._answer(200, "application/json", b"[1, 2]")
        elif self.path == "/slow":
            time.sleep(1.5)
            self._answer(200, "application/json", b"{}")
        else:
            answer = {
                "seen_in_sandbox": request["value"] == DOMAIN,
                "first_seen": "2026-09-30",
                "type": request["type"],
            }
            self._answer(200, "application/json", json.dumps(answer).encode())

    def _answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def partner_service(monkeypatch: Any) -> Iterator[PartnerService]:
    """Kestrel's service on 127.0.0.1 (a thread), checking Accord's signature on every request."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    service = PartnerService(url="")
    handler = type("Handler", (_Handler,), {"service": service})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    service.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield service
    server.shutdown()
    server.server_close()


@pytest.fixture
def kestrel_http(partner: Organisation, partner_service: PartnerService) -> Enricher:
    """Kestrel's sandbox lookup under its analysis-tools agreement, ceiling GREEN."""
    tools = make_agreement(partner, kind="analysis_tools")
    return enricher_add(
        actor=None,
        name="kestrel-sandbox",
        kind="http",
        organisation=partner,
        agreement=tools,
        types=["domain", "ipv4", "url"],
        tlp_ceiling="green",
        timeout_seconds=1,
        url=f"{partner_service.url}/lookup",
        secret=SECRET,
    )
