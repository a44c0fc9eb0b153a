"""/metrics through HTTP: who may read it, and what it counts (parsed with prometheus_client's
own parser). Counters live as long as the test process: each test compares before and after."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from accord.core.roles import allowed_scopes
from accord.core.services import token_issue
from accord.sharing.models import StixObject
from accord.taxii.api import MEDIA_TYPE
from accord.taxii.services import collections_sync
from tests.factories import OrganisationFactory, make_agreement
from tests.stix_samples import bundle, indicator

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: Client | None = None, **extra: Any) -> Samples:
    """Every sample of /metrics, read from this machine (the default allowed network)."""
    response = (client or Client()).get("/metrics", REMOTE_ADDR="127.0.0.1", **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.mark.django_db
def test_metrics_answer_this_machine_a_token_or_an_allowed_network_and_404_anyone_else(settings: Any) -> None:
    settings.ACCORD_METRICS_ALLOW = ["127.0.0.1/32", "::1/128"]
    settings.ACCORD_METRICS_TOKEN = "a-long-scraper-token-0123456789"
    client = Client()
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    outside = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert outside.status_code == 404 and b"accord_" not in outside.content
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert wrong.status_code == 404
    right = client.get(
        "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer a-long-scraper-token-0123456789"
    )
    assert right.status_code == 200 and b"accord_http_requests_total" in right.content
    assert client.post("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404

    settings.ACCORD_METRICS_ALLOW = ["10.20.0.0/16"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


@pytest.mark.django_db
def test_behind_a_proxy_the_forwarded_client_address_decides_not_the_proxys(settings: Any) -> None:
    settings.ACCORD_TRUSTED_PROXIES = 1
    settings.ACCORD_METRICS_TOKEN = ""
    client = Client()
    # The proxy runs on this machine: the outside client it forwards must not pass for local.
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 200


def test_a_bad_network_in_the_allow_list_is_refused_at_start(tmp_path: Any) -> None:
    env = os.environ | {"ACCORD_HOME": str(tmp_path), "ACCORD_METRICS_ALLOW": "10.0.0.0/8,the office"}
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import accord.settings"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert "ACCORD_METRICS_ALLOW: 'the office' is not a network" in done.stderr


@pytest.mark.django_db
def test_requests_are_counted_by_route_name_never_by_path(api_for: Any, partner: Any) -> None:
    client = api_for("analyst")
    before = scrape()
    assert client.get(f"/api/v1/organisations/{partner.pk}/?search=secret-term").status_code == 200
    assert client.get("/api/v1/organisations/999999999/").status_code == 404
    assert Client().get("/no/such/page/").status_code == 404
    after = scrape()

    route = "core:organisation-detail"
    counted = {"route": route, "method": "GET"}
    assert value(after, "accord_http_requests_total", **counted, status="200") == (
        value(before, "accord_http_requests_total", **counted, status="200") + 1
    )
    assert value(after, "accord_http_requests_total", **counted, status="404") == (
        value(before, "accord_http_requests_total", **counted, status="404") + 1
    )
    assert value(after, "accord_http_requests_total", route="unmatched", method="GET", status="404") >= 1
    assert value(after, "accord_http_request_duration_seconds_count", **counted) == (
        value(before, "accord_http_request_duration_seconds_count", **counted) + 2
    )
    labels = {v for _, pairs in after for _, v in pairs}
    assert not any("secret-term" in v or "999999999" in v or "/no/such" in v for v in labels)
    assert not any(partner.name in v for v in labels)


@pytest.fixture
def reader(partner: Any, people: Any, settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    collections_sync()
    user = people["partner_reader"]
    secret = token_issue(
        actor=None, user=user, name="taxii", scopes=[s for s in ("taxii",) if s in allowed_scopes(user.role)]
    ).secret
    credentials = base64.b64encode(f"{user.username}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {credentials}", "Accept": MEDIA_TYPE}


@pytest.mark.django_db
def test_taxii_reads_are_counted_by_endpoint(reader: Any) -> None:
    client = Client()
    before = scrape()
    assert client.get("/taxii2/", headers=reader).status_code == 200
    assert client.get("/taxii2/api/collections/", headers=reader).status_code == 200
    assert client.get("/taxii2/api/collections/", headers=reader).status_code == 200
    assert client.get("/taxii2/api/collections/", headers={"Accept": MEDIA_TYPE}).status_code == 401  # not a read
    after = scrape()
    assert value(after, "accord_taxii_reads_total", endpoint="discovery") == (
        value(before, "accord_taxii_reads_total", endpoint="discovery") + 1
    )
    assert value(after, "accord_taxii_reads_total", endpoint="collections") == (
        value(before, "accord_taxii_reads_total", endpoint="collections") + 2
    )


@pytest.mark.django_db
def test_policy_denials_are_counted_by_rule(api_for: Any, people: Any, partner: Any) -> None:
    make_agreement(partner, status="expired", valid_until=timezone.now() - timedelta(days=5))
    originator = OrganisationFactory(name="Atlas Bank Group", country="AE", sector="banking_finance")
    agreement = make_agreement(originator, onward_kinds=["law_enforcement", "private"])
    now = timezone.now()
    obj = StixObject.objects.create(
        stix_id="indicator--00000000-0000-4000-8000-000000000777",
        type="indicator",
        created=now,
        modified=now,
        organisation=originator,
        agreement=agreement,
        tlp="green",
        data_category="technical_indicator",
    )
    before = scrape()
    body = api_for("partner_reader").get("/api/v1/policy/explain/", {"object": obj.stix_id}).json()
    assert body["allowed"] is False and body["rule"] == "recipient_agreement"
    after = scrape()
    assert value(after, "accord_policy_denials_total", rule="recipient_agreement") == (
        value(before, "accord_policy_denials_total", rule="recipient_agreement") + 1
    )
    labels = {v for _, pairs in after for _, v in pairs}
    assert obj.stix_id not in labels and originator.name not in labels


@pytest.mark.django_db
def test_finished_ingests_are_counted_by_format_and_outcome(
    api_for: Any, partner: Any, people: Any, settings: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    data = bundle(
        indicator(1, "[domain-name:value = 'login-bank.example.com']"),
        indicator(2, "[ipv4-addr:value = '203.0.113.7']"),
        {"type": "indicator", "id": "not an id"},
    )
    upload = io.BytesIO(data)
    upload.name = "feed.json"
    before = scrape()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for("partner_contributor").post("/api/v1/submissions/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    assert (response.json()["new_count"], response.json()["rejected_count"]) == (2, 1)
    after = scrape()
    for outcome, added in (("new", 2), ("refused", 1)):
        assert value(after, "accord_ingest_objects_total", format="stix", outcome=outcome) == (
            value(before, "accord_ingest_objects_total", format="stix", outcome=outcome) + added
        )
    assert value(after, "accord_ingest_submissions_total", format="stix", status="done") == (
        value(before, "accord_ingest_submissions_total", format="stix", status="done") + 1
    )


@pytest.mark.django_db
def test_queue_depth_and_worker_heartbeat_are_read_from_the_database_when_scraped(
    settings: Any, partner: Any, tmp_path: Any
) -> None:
    from django.core.management import call_command

    from accord.sharing.tasks import process_submission

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    ready = value(scrape(), "accord_task_queue_depth", state="ready")
    process_submission.enqueue(123456789)
    process_submission.enqueue(123456790)
    assert value(scrape(), "accord_task_queue_depth", state="ready") == ready + 2

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    call_command("worker", batch=True, stdout=io.StringIO())
    assert 0 <= value(scrape(), "accord_worker_heartbeat_age_seconds") < 3600
