"""The home page of each role: what it shows, that each count agrees with the list its link
opens, that a partner sees only its own, and that the queries stay bounded as data grows."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.analysis.models import IntelReport
from accord.formats.markings import TLP2_IDS
from accord.partners.models import PartnershipApplication
from accord.partners.services import application_submit, application_transition
from tests.factories import TEST_PASSWORD, OrganisationFactory, UserFactory, make_agreement
from tests.stix_samples import bundle, indicator
from tests.web.words import raw_codes


def figure(page: str, testid: str) -> tuple[int, str]:
    """A home figure's count and the address its tile links to."""
    found = re.search(r'<a class="tile" href="([^"]+)"><span class="n" data-testid="' + testid + r'">(\d+)\+?<', page)
    assert found, f"no figure {testid} on the page"
    return int(found.group(2)), html.unescape(found.group(1))


def results(client: Any, url: str) -> int:
    """How many rows the list page at ``url`` says it holds."""
    response = client.get(url)
    assert response.status_code == 200, url
    return int(re.search(r"(\d+) results?\b", response.content.decode()).group(1))


@pytest.fixture
def shared(partner, other_partner, people, settings, tmp_path, api_for) -> Any:
    """The bank (other_partner) shares three indicators, one of them AMBER+STRICT; Kestrel reads."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner, valid_until=timezone.now() + timedelta(days=45))
    make_agreement(other_partner)
    banker = UserFactory(organisation=other_partner, role="partner_contributor")
    data = bundle(
        indicator(1, "[ipv4-addr:value = '203.0.113.7']", object_marking_refs=[TLP2_IDS["green"]], labels=["phishing"]),
        indicator(2, "[domain-name:value = 'login-bank.example.com']", object_marking_refs=[TLP2_IDS["amber+strict"]]),
        indicator(3, "[url:value = 'http://login-bank.example.com/a']", object_marking_refs=[TLP2_IDS["green"]]),
    )
    upload = io.BytesIO(data)
    upload.name = "bank.json"
    assert api_for(banker).post("/api/v1/submissions/", {"file": upload}, format="multipart").status_code == 201
    return banker


def test_a_partner_home_shows_its_agreement_new_intelligence_and_taxii(client, people, shared):
    client.force_login(people["partner_reader"])
    page = client.get("/").content.decode()
    assert "Our agreements" in page and "DSA-2026-001" in page
    assert re.search(r"\(in 4[45] days\)", page)  # the agreement's end, in days
    new, url = figure(page, "count-new-intelligence")
    assert new == 2  # the AMBER+STRICT indicator is not for Kestrel
    assert url.startswith("/shared/?added_after=")
    assert results(client, url) == new
    assert 'data-copy="#taxii-discovery"' in page and "http://testserver/taxii2/" in page
    assert "Share data" not in page.split("Our submissions")[1].split("</section>")[0]  # a reader may not submit
    # None of the host's panels.
    assert "Applications waiting" not in page and "Audit chain" not in page and "Your work" not in page


def test_new_intelligence_counts_from_the_previous_sign_in(client, people, shared):
    reader = people["partner_reader"]
    client.post("/login/", {"username": reader.username, "password": TEST_PASSWORD})
    assert figure(client.get("/").content.decode(), "count-new-intelligence")[0] == 2  # a first visit: the last week
    client.post("/logout/")
    client.post("/login/", {"username": reader.username, "password": TEST_PASSWORD})
    # The visit before this one came after the bank's upload: nothing new since.
    assert figure(client.get("/").content.decode(), "count-new-intelligence")[0] == 0


def _application(name: str, status: str, actor: Any = None) -> PartnershipApplication:
    application = application_submit(
        organisation_name=name,
        kind="law_enforcement",
        country="KE",
        contact_name="A. Person",
        contact_email=f"{name.split()[0].lower()}@example.org",
        contribution_areas=["information_sharing"],
        proposal="Share phishing indicators.",
    )
    moves = {"screening": ["screening"], "due_diligence": ["screening", "due_diligence"]}
    for move in moves.get(status, []):
        application = application_transition(actor=actor, application=application, to=move, reason="")
    return application


def test_the_manager_home_counts_agree_with_the_lists_they_open(client, people, partner, other_partner):
    _application("Nairobi Cyber Unit", "submitted")
    _application("Mombasa Police", "screening")
    _application("Kisumu Police", "screening")
    _application("Eldoret Police", "due_diligence")
    now = timezone.now()
    make_agreement(partner, valid_until=now + timedelta(days=20))
    make_agreement(other_partner, valid_until=now + timedelta(days=75))
    make_agreement(OrganisationFactory(country="BR"), valid_until=now + timedelta(days=400))
    make_agreement(OrganisationFactory(country="JP"), status="suspended", valid_until=now + timedelta(days=10))
    client.force_login(people["programme_manager"])
    page = client.get("/").content.decode()
    expected = {"submitted": 1, "screening": 2, "due_diligence": 1}
    for status, n in expected.items():
        count, url = figure(page, f"count-applications-{status}")
        assert count == n and url == f"/applications/?status={status}"
        assert results(client, url) == n
    for days, n in {30: 1, 60: 1, 90: 2}.items():
        count, url = figure(page, f"count-expiring-{days}")
        assert count == n, days
        assert results(client, url) == n
    assert "Agreements ending" in page and partner.name in page and other_partner.name in page
    assert "Activity by region" in page and "Africa" in page


def test_the_analyst_home_counts_drafts_and_ungraded_objects(client, people, shared):
    IntelReport.objects.create(
        stix_id="report--00000000-0000-4000-8000-00000000aaaa",
        title="Phishing wave against banks",
        summary="…",
        audience="law_enforcement",
        created_by=people["analyst"],
    )
    client.force_login(people["analyst"])
    page = client.get("/").content.decode()
    drafts, url = figure(page, "count-draft-reports")
    assert drafts == 1 and url == "/analysis/reports/?status=draft"
    assert "Phishing wave against banks" in page
    ungraded, url = figure(page, "count-ungraded")
    assert ungraded == 3 and results(client, url) == 3
    assert "Applications waiting" not in page  # an analyst manages no partnership


def test_the_auditor_home_shows_the_chain_and_recent_events(client, people):
    client.post("/login/", {"username": "nobody", "password": "wrong"})
    client.force_login(people["auditor"])
    page = client.get("/").content.decode()
    assert "links are intact" in page
    count, url = figure(page, "count-audit-auth-login_failed")
    assert count == 1 and url.startswith("/audit/?action=auth.login_failed")
    assert results(client, url) == 1
    assert "Our agreements" not in page


def queries(client: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", ["partner_contributor", "programme_manager", "analyst", "auditor", "admin"])
def test_home_queries_do_not_grow_with_the_data(client, people, shared, partner, role, api_for):
    client.force_login(people[role])
    queries(client)  # the first visit computes what later ones reuse (a partner's own campaigns)
    before = queries(client)
    for i in range(4):
        _application(f"Unit {i} Police", "screening")
        make_agreement(OrganisationFactory(country="KE"), valid_until=timezone.now() + timedelta(days=10 + i))
    data = bundle(*(indicator(10 + i, f"[ipv4-addr:value = '198.51.100.{i}']", labels=["bec"]) for i in range(5)))
    upload = io.BytesIO(data)
    upload.name = "more.json"
    assert api_for(shared).post("/api/v1/submissions/", {"file": upload}, format="multipart").status_code == 201
    queries(client)
    assert queries(client) == before
    assert before <= LIMITS[role]


LIMITS = {"partner_contributor": 60, "programme_manager": 45, "analyst": 40, "auditor": 25, "admin": 90}


def test_the_words_check_finds_codes_where_words_belong():
    """The check the page walk relies on fails on what the pages used to show."""
    shown = (
        "<main><table><tr><th>Added at is greater than or equal to</th><td>africa</td><td>KE</td>"
        "<td>1850000.00 USD</td><td>0.75</td><td>europol-incident:other=&quot;other&quot;</td>"
        "<td>In_kind_estimated</td><td>[invalid name]</td><td>Bec, Phishing</td></tr></table></main>"
    )
    assert len(raw_codes(shown)) == 9
    fine = (
        "<main><table><tr><th>Shared from</th><td>Africa</td><td>Kenya</td><td>USD 1,850,000</td><td>75 %</td>"
        "<td><code>auth.login_failed</code></td></tr></table></main>"
    )
    assert raw_codes(fine) == []


def test_filter_forms_speak_in_words_with_pickers_by_name(client, people, partner, other_partner):
    client.force_login(people["programme_manager"])
    page = client.get("/governance/operations/").content.decode()
    assert "[invalid name]" not in page
    assert "Lead organisation" in page and f">{other_partner.name}</option>" in page  # a picker, not an id box
    page = client.get("/organisations/", {"region": "africa"}).content.decode()
    assert 'type="checkbox" name="region" value="africa"' in page and "checked" in page  # no Ctrl-click
    assert "<legend>Region</legend>" in page
    page = client.get("/programme/sessions/").content.decode()
    assert "Starts from" in page and 'type="date" name="starts_after"' in page
    assert "Start is greater than" not in page
    # A bad value is named by its label, and what was typed stays.
    page = client.get("/agreements/", {"expires_within": "soon"}).content.decode()
    assert "Ends within (days):" in page and 'value="soon"' in page


def test_a_partners_contribution_month_by_month_counts_what_it_shared(client, shared, api_for):
    """The home's month-by-month contribution counts the organisation's own objects as its score
    does (from the kept day counts): a revoked one no longer counts, and another organisation's
    objects never do."""
    from accord.sharing.models import StixObject

    def this_month(page: str) -> int:
        label = html.escape(timezone.now().strftime("%b %Y"))
        found = re.search(rf'<th scope="row">{label}</th><td><svg[^>]*>.*?</svg> (\d+)</td>', page, re.S)
        assert found, page.split('id="h-contribution"')[1][:800]
        return int(found.group(1))

    client.force_login(shared)
    assert this_month(client.get("/").content.decode()) == 3
    stix_id = StixObject.objects.filter(organisation=shared.organisation).values_list("stix_id", flat=True)[0]
    revoked = api_for(shared).post(f"/api/v1/objects/{stix_id}/revoke/", {"reason": "mistake"}, format="json")
    assert revoked.status_code == 200, revoked.content
    assert this_month(client.get("/").content.decode()) == 2
    client.force_login(UserFactory(organisation=OrganisationFactory(), role="partner_reader"))
    assert this_month(client.get("/").content.decode()) == 0
