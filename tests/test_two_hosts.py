"""Two hosts on one PostgreSQL: two ``accord serve`` and two ``accord worker`` processes on one
database under the load benchmark. Daily jobs run once, rate limits (applications, sign-in
failures, a token's requests) count across the servers, and every accepted object is stored
exactly once. (On SQLite there is one host: skipped.)"""

from __future__ import annotations

import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from bench.load import ACCORD, PASSWORD, Site, run_load, site, site_facts, verify

DATABASE = os.environ.get("ACCORD_DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not DATABASE.startswith("postgres"),
    reason="several hosts share one PostgreSQL database; this suite runs on SQLite (one host)",
)

APPLICATIONS = 5  # ACCORD_APPLICATION_RATE per day (a window the test never straddles but at midnight)
FAILURES = 6  # ACCORD_LOGIN_FAILURES_PER_ACCOUNT per day
TOKEN_RATE = 300  # ACCORD_API_RATE_PER_TOKEN per day: more than any client of the load sends


def _apply(url: str) -> int:
    """An anonymous partnership application (empty: the limit counts it before reading it)."""
    return requests.post(f"{url}/api/v1/applications/", json={}, timeout=120).status_code


def _sign_in(url: str, password: str) -> str:
    """The login form, sent as a browser would, to ``url``; the page or where it redirects."""
    form = requests.get(f"{url}/login/", timeout=120)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert csrf is not None
    answer = requests.post(
        f"{url}/login/",
        data={"username": "load-analyst-00", "password": password, "csrfmiddlewaretoken": csrf.group(1)},
        # the CSRF cookie is Secure (outside debug): sent by hand over plain HTTP
        headers={"Cookie": f"csrftoken={form.cookies['csrftoken']}"},
        allow_redirects=False,
        timeout=120,
    )
    return answer.headers.get("Location", "") if answer.status_code == 302 else answer.text


def _errors_logged(logs: list[str], lines: int = 40) -> str:
    """The servers' logged errors with the lines after each (their tracebacks): what a 5xx was."""
    found = []
    for log in logs:
        text = log.splitlines()
        found += ["\n".join(text[n : n + lines]) for n, line in enumerate(text) if " ERROR " in line]
    return "\n\n".join(found[:5])


def _round_at_once(running: Site, count: int) -> None:
    """``count`` more workers each running one round (the daily jobs among it), all at once."""
    rounds = [
        subprocess.Popen([ACCORD, "worker", "--batch"], env=running.env, stdout=subprocess.DEVNULL)  # noqa: S603
        for _ in range(count)
    ]
    assert [r.wait(timeout=300) for r in rounds] == [0] * count


def test_two_servers_and_two_workers_on_one_postgresql_share_limits_and_run_jobs_once():
    limits = {
        "ACCORD_APPLICATION_RATE": f"{APPLICATIONS}/day",
        "ACCORD_LOGIN_FAILURES_PER_ACCOUNT": f"{FAILURES}/day",
        "ACCORD_API_RATE_PER_TOKEN": f"{TOKEN_RATE}/day",
    }
    with site(partners=4, analysts=2, servers=2, workers=2, database_url=DATABASE, env=limits) as running:
        first, second = running.urls
        with ThreadPoolExecutor(max_workers=12) as pool:
            # Twelve applications at once, half to each server: five go through, wherever they land.
            answers = list(pool.map(_apply, [first, second] * 6))
            assert answers.count(429) == 12 - APPLICATIONS, answers
            # Ten wrong passwords at once across both servers: the account locks at the limit, once.
            list(pool.map(lambda url: _sign_in(url, "wrong"), [first, second] * 5))
        assert "sign-in is locked" in _sign_in(first, PASSWORD)
        assert "sign-in is locked" in _sign_in(second, PASSWORD)

        load = run_load(running, partner_requests=4, analyst_requests=8, objects=30)
        stored = verify(running, load)
        # The first analyst made exactly 8 requests in the load; as many again as its rate, at
        # once over both servers and their four processes: all but 8 go through.
        analyst = requests.Session()
        analyst.headers["Authorization"] = f"Bearer {running.analysts[0]}"
        with ThreadPoolExecutor(max_workers=12) as pool:
            rated = list(
                pool.map(
                    lambda url: analyst.get(f"{url}/api/v1/organisations/?page_size=1", timeout=120).status_code,
                    [first, second] * (TOKEN_RATE // 2),
                )
            )
        _round_at_once(running, 3)
        facts = site_facts(running)
        served = [log.read_text() for log in running.logs[:2]]  # the two servers' access lines (route names)

    assert all("POST sharing-api:submission-list 20" in log and "POST taxii:objects 20" in log for log in served)

    assert load.server_errors == [] and load.problems == [], _errors_logged(served)
    assert load.sent == 4 * 4 * 30 and len(load.accepted) == load.sent
    assert stored == {"once": load.sent, "missing": [], "duplicated": [], "accepted_twice": []}
    assert rated.count(429) == 8 and rated.count(200) == TOKEN_RATE - 8, sorted(set(rated))
    assert facts["locks"] == 1
    assert facts["daily_runs"] == {job: 1 for job in facts["daily_jobs"]}
