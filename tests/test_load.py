"""The load benchmark, small: partners submitting over the API and TAXII to a real ``accord
serve`` while an analyst pages and searches; every accepted object is stored exactly once and
no request had a 5xx answer. On whichever database the suite runs (a fresh database on the
PostgreSQL server when ``ACCORD_DATABASE_URL`` names one). Figures are ``make bench``'s."""

from __future__ import annotations

import os

from bench.load import run_load, site, verify


def test_partners_and_analysts_at_once_lose_and_double_nothing():
    with site(partners=2, analysts=1, database_url=os.environ.get("ACCORD_DATABASE_URL")) as running:
        load = run_load(running, partner_requests=4, analyst_requests=8, objects=30)
        stored = verify(running, load)
    assert load.server_errors == []
    assert load.problems == []
    assert load.requests >= 2 * 4 + 8
    assert load.sent == 2 * 4 * 30
    assert len(load.accepted) == load.sent  # the generated objects are all valid
    assert stored == {"once": load.sent, "missing": [], "duplicated": [], "accepted_twice": []}
