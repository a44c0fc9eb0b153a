"""Per-token and per-address request rates on the API and TAXII: a client past its rate is
answered 429 with Retry-After before any database work, other clients are not, counting loses
no concurrent request, and bookkeeping that fails never fails the request."""

from __future__ import annotations

import base64
import logging
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accord.core import ratelimit
from accord.core.ratelimit import count_request, rate_counters_prune

TAXII = "application/taxii+json;version=2.1"
DAY = 86400


@pytest.fixture
def rates(settings: Any, tmp_path: Path) -> Any:
    """Counters of the test's own, in daily windows; a test begun in the last minute of a day
    waits for the next, so that no window ends in the middle of it."""
    settings.ACCORD_RATE_COUNTERS_DIR = tmp_path / "rates"
    left = DAY - time.time() % DAY
    if left < 60:
        time.sleep(left + 0.1)
    return settings


def test_a_token_past_its_rate_is_refused_on_the_api_and_taxii_and_others_are_not(
    rates: Any, api_for: Any, django_assert_num_queries: Any
) -> None:
    rates.ACCORD_API_RATE_PER_TOKEN = "3/day"
    partner, other = api_for("partner_contributor"), api_for("partner_reader")
    assert [partner.get("/api/v1/organisations/").status_code for _ in range(3)] == [200, 200, 200]

    with django_assert_num_queries(0):  # refused before sessions, tokens or the policy are read
        refused = partner.get("/api/v1/organisations/")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert "this credential" in refused.json()["error"]["message"]
    assert 0 < int(refused["Retry-After"]) <= DAY
    assert refused["X-Request-ID"]  # still a request like any other: logged and counted

    # One budget for the API and TAXII, answered in TAXII's own error shape there.
    taxii = partner.get("/taxii2/", HTTP_ACCEPT=TAXII)
    assert taxii.status_code == 429
    assert taxii["Content-Type"] == TAXII
    assert taxii.json()["http_status"] == "429" and taxii.json()["title"] == "Too many requests"
    assert int(taxii["Retry-After"]) > 0

    # TAXII's Basic authentication with the same token is the same budget.
    token = partner._credentials["HTTP_AUTHORIZATION"].split()[1]
    basic = base64.b64encode(f"partner_contributor:{token}".encode()).decode()
    assert Client().get("/taxii2/", HTTP_ACCEPT=TAXII, HTTP_AUTHORIZATION=f"Basic {basic}").status_code == 429

    # Another token from the same address is not held back, on either.
    assert other.get("/api/v1/organisations/").status_code == 200
    assert other.get("/taxii2/", HTTP_ACCEPT=TAXII).status_code != 429


def test_an_address_past_its_rate_is_refused_whatever_token_it_shows(rates: Any) -> None:
    rates.ACCORD_API_RATE_PER_ADDRESS = "4/day"
    guesser = Client(REMOTE_ADDR="198.51.100.7")
    # A new made-up token each time: each is fresh, the address is not.
    answers = [
        guesser.get("/api/v1/organisations/", HTTP_AUTHORIZATION=f"Bearer guess-{n}").status_code for n in range(6)
    ]
    assert answers == [401, 401, 401, 401, 429, 429]
    refused = guesser.get("/taxii2/", HTTP_ACCEPT=TAXII)
    assert refused.status_code == 429 and "this address" in refused.json()["description"]

    assert Client(REMOTE_ADDR="198.51.100.8").get("/api/v1/organisations/").status_code == 401
    # Pages are not counted here (sign-in has its own lock).
    assert guesser.get("/login/").status_code == 200


def test_behind_a_proxy_each_client_is_counted_by_the_address_the_proxy_saw(rates: Any) -> None:
    rates.ACCORD_API_RATE_PER_ADDRESS = "2/day"
    rates.ACCORD_TRUSTED_PROXIES = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    first = [proxy.get("/taxii2/", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code for _ in range(3)]
    assert first[2] == 429
    # The proxy's own address is not what counts: another client behind it goes on.
    assert proxy.get("/taxii2/", HTTP_X_FORWARDED_FOR="203.0.113.6").status_code != 429
    # A client cannot pick its address by sending its own header: the proxy appends the real one.
    spoofed = proxy.get("/taxii2/", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5")
    assert spoofed.status_code == 429


def test_a_session_is_counted_like_a_token(rates: Any, people: Any) -> None:
    rates.ACCORD_API_RATE_PER_TOKEN = "2/day"
    browser = Client()
    browser.force_login(people["analyst"])
    answers = [browser.get("/api/v1/organisations/").status_code for _ in range(3)]
    assert answers == [200, 200, 429]


def _count_many(folder: str, times: int) -> None:
    from django.conf import settings

    settings.ACCORD_RATE_COUNTERS_DIR = Path(folder)
    for _ in range(times):
        count_request("api-credential", "token:shared", DAY)


def test_processes_counting_at_once_lose_no_request(rates: Any) -> None:
    folder = str(rates.ACCORD_RATE_COUNTERS_DIR)
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_count_many, args=(folder, 300)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    hits, _ = count_request("api-credential", "token:shared", DAY)
    assert hits == 4 * 300 + 1


def test_counters_name_no_token_or_address(rates: Any, api_for: Any) -> None:
    rates.ACCORD_API_RATE_PER_TOKEN = "100/day"
    rates.ACCORD_API_RATE_PER_ADDRESS = "100/day"
    client = api_for("partner_contributor")
    token = client._credentials["HTTP_AUTHORIZATION"].split()[1]
    client.get("/api/v1/organisations/")
    folder = rates.ACCORD_RATE_COUNTERS_DIR
    names = [str(path.relative_to(folder)) for path in folder.rglob("*")]
    assert len([name for name in names if "/" in name]) == 2  # one per address, one per token
    assert not any(token[:12] in name or "127.0.0.1" in name for name in names)


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_counting_that_fails_lets_the_request_through_and_says_so(rates: Any, api_for: Any, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    rates.ACCORD_RATE_COUNTERS_DIR = blocked  # every counter's folder is under a file
    rates.ACCORD_API_RATE_PER_TOKEN = "1/day"
    client = api_for("analyst")
    ratelimit._last_warning[0] = 0.0  # no warning from an earlier test holds this one back
    kept, logger = _Kept(), logging.getLogger("accord.core.ratelimit")
    logger.addHandler(kept)
    try:
        answers = [client.get("/api/v1/organisations/").status_code for _ in range(3)]
    finally:
        logger.removeHandler(kept)
    assert answers == [200, 200, 200]
    assert len(kept.messages) == 1  # once a minute, not once a request
    assert kept.messages[0].startswith("Request rates are not counted: NotADirectoryError")


def test_counters_untouched_for_a_day_are_pruned(rates: Any, api_for: Any) -> None:
    rates.ACCORD_API_RATE_PER_TOKEN = "100/day"
    api_for("analyst").get("/api/v1/organisations/")
    api_for("partner_contributor").get("/api/v1/organisations/")
    counters = sorted(rates.ACCORD_RATE_COUNTERS_DIR.glob("*/*"))
    assert len(counters) == 2
    old = time.time() - DAY - 60
    os.utime(counters[0], (old, old))
    assert rate_counters_prune() == 1
    assert sorted(rates.ACCORD_RATE_COUNTERS_DIR.glob("*/*")) == counters[1:]


def test_every_operation_documents_the_429(people: Any) -> None:
    admin = Client()
    admin.force_login(people["admin"])
    schema = admin.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = [op for path in schema["paths"].values() for op in path.values() if isinstance(op, dict)]
    assert operations
    assert all("429" in op["responses"] for op in operations)


def test_a_malformed_rate_stops_accord_at_start_naming_the_setting(tmp_path: Path) -> None:
    env = {**os.environ, "ACCORD_HOME": str(tmp_path), "ACCORD_API_RATE_PER_TOKEN": "lots"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import accord.settings"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert "ACCORD_API_RATE_PER_TOKEN: 'lots' is not a rate" in done.stderr
