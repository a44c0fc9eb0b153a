"""The demo fills every role's home page, so a newcomer sees the product at work at once; and
the main pages of each role, on the demo's data, speak in words, not in codes and ids."""

from __future__ import annotations

import io
import re

from django.core.management import call_command

from accord.core.models import User
from tests.web.words import MAIN_PAGES, expand, raw_codes


def count(page: str, testid: str) -> int:
    return int(re.search(r'data-testid="' + testid + r'">(\d+)', page).group(1))


def test_the_demo_populates_each_home(db, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("demo", stdout=io.StringIO())

    def home(username: str) -> str:
        client.force_login(User.objects.get(username=username))
        return client.get("/").content.decode()

    partner = home("reader")
    assert count(partner, "count-new-intelligence") > 0  # a research institute's findings
    assert count(partner, "count-correlations") > 0  # two of them are Kestrel's values too
    assert "Campaigns our data helped build" in partner and "None yet." not in partner.split("helped build")[1][:400]
    assert "in 4" in partner  # the analysis-tools agreement is up for renewal within weeks

    manager = home("manager")
    assert all(count(manager, f"count-applications-{s}") > 0 for s in ("submitted", "screening", "due_diligence"))
    assert count(manager, "count-expiring-90") > 0
    assert count(manager, "count-overdue-recommendations") > 0
    assert "USD 1,888,000 frozen" in manager  # 38,000 of it frozen under an interception request linked to it

    analyst = home("analyst")
    assert count(analyst, "count-new-correlations") > 0 and count(analyst, "count-draft-reports") > 0

    auditor = home("auditor")
    assert "links are intact" in auditor

    # The main pages of each role show no code or id where people read words.
    found = {}
    for username, paths in MAIN_PAGES.items():
        client.force_login(User.objects.get(username=username))
        walked = expand(client, paths)
        # every list walked row by row gave at least two detail pages to read
        assert len(walked) >= len(paths) + sum(path.startswith("{each:") for path in paths), username
        for path in walked:
            response = client.get(path)
            assert response.status_code == 200, path
            if codes := raw_codes(response.content.decode()):
                found[f"{username} {path}"] = codes
    assert found == {}, "\n".join(f"{page}: {codes}" for page, codes in found.items())
