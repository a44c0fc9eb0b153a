"""A partner's HTTP enricher against a local service that checks Accord's signature: answers,
and every way a partner's service can fail, stored as failed results with the reason."""

from __future__ import annotations

import pytest

from accord.enrichment.models import Enricher, Enrichment
from accord.enrichment.services import enricher_update
from tests.enrichment.conftest import (
    DOMAIN,
    observable,
)
from tests.ids import pid


def run(api_for, path: str = "/lookup", base: str = ""):
    enricher = Enricher.objects.get(name="kestrel-sandbox")
    Enricher.objects.filter(pk=enricher.pk).update(url=(base or enricher.url.rsplit("/", 1)[0]) + path)
    return api_for("analyst").post(
        f"/api/v1/observables/{pid(observable(DOMAIN))}/enrichments/", {"enricher": "kestrel-sandbox"}, format="json"
    )


@pytest.fixture
def only_http(shared, kestrel_http):
    Enricher.objects.exclude(pk=kestrel_http.pk).delete()
    return kestrel_http


def test_a_signed_request_and_its_answer(api_for, only_http, partner, partner_service):
    response = run(api_for)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "ok" and body["provider"] == partner.name and body["tlp_sent"] == "green"
    assert body["result"] == {"seen_in_sandbox": True, "first_seen": "2026-09-30", "type": "domain"}
    (received,) = partner_service.received
    assert received["body"] == {"type": "domain", "value": DOMAIN}
    assert received["signed"] and received["fresh"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/html", "the answer is not JSON (Content-Type: text/html): <html>maintenance</html>"),
        ("/broken", "answered HTTP 500: database down"),
        ("/list", "the answer is JSON but not an object (got list)"),
        ("/slow", "within 1 s"),
    ],
)
def test_failures_are_stored_with_the_reason(api_for, only_http, partner_service, path, message):
    response = run(api_for, path)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "failed" and body["result"] == {}
    assert message in body["error"]
    assert Enrichment.objects.get().error == body["error"]


def test_a_wrong_secret_is_refused_by_the_partner(api_for, only_http, partner_service):
    enricher_update(actor=None, enricher=only_http, secret="not-the-partners-secret")
    body = run(api_for).json()
    assert body["status"] == "failed" and "answered HTTP 401" in body["error"]
    assert partner_service.received[0]["signed"] is False


def test_nothing_listens(api_for, only_http, partner_service):
    body = run(api_for, base="http://127.0.0.1:9").json()
    assert body["status"] == "failed" and body["error"].startswith("could not reach http://127.0.0.1:9/lookup")


def test_a_secret_sealed_under_another_key_is_a_failed_result_not_a_crash(api_for, only_http, settings):
    settings.SECRET_KEY = "a-different-secret-key-after-a-bad-restore-0123456789"
    body = run(api_for).json()
    assert body["status"] == "failed" and "the stored secret cannot be read" in body["error"]
