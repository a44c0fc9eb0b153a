"""The analyst workbench pages: who may see what, filters, and forms posting through the services."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from accord.analysis.models import Campaign, CampaignNote, Correlation, ExclusionList, IntelReport, LinkCut
from accord.analysis.selectors import campaign_list
from accord.sharing.models import Observable
from tests.analysis.conftest import DROP, MULE_IP, PHISH
from tests.ids import pid
from tests.queries import BOUNDED_READ
from tests.stix_samples import indicator


def obs(value: str) -> Observable:
    return Observable.objects.get(value=value)


def text(response: Any) -> str:
    return response.content.decode()


def test_analysts_list_correlations_with_filters_and_flags(client, people, workbench):
    client.force_login(people["analyst"])
    listing = text(client.get("/analysis/correlations/"))
    assert PHISH in listing and "8.8.8.8" in listing and MULE_IP not in listing  # one organisation is no correlation
    assert listing.count('data-testid="known-benign"') == 1
    benign = text(client.get("/analysis/correlations/", {"known_benign": "true"}))
    assert "8.8.8.8" in benign and PHISH not in benign
    assert PHISH in text(client.get("/analysis/correlations/", {"type": "domain"}))
    assert "8.8.8.8" not in text(client.get("/analysis/correlations/", {"type": "domain"}))
    assert PHISH not in text(client.get("/analysis/correlations/", {"value_prefix": "8.8"}))
    assert "No correlation matches" in text(client.get("/analysis/correlations/", {"min_organisations": 3}))


def test_a_correlation_page_names_sources_scores_and_campaigns(client, people, workbench):
    client.force_login(people["analyst"])
    page = text(client.get(f"/analysis/correlations/{pid(obs(PHISH))}/"))
    assert "Kestrel Threat Labs" in page and "Atlas Bank Group" in page
    assert 'data-testid="score">' in page and "0.5^(age / half-life)" in page
    assert f'href="/analysis/campaigns/{workbench["phishing"].pk}/"' in page
    assert "benign-banner" not in page
    flagged = text(client.get(f"/analysis/correlations/{pid(obs('8.8.8.8'))}/"))
    assert 'data-testid="benign-banner"' in flagged and "List of known IPv4 public DNS resolvers" in flagged
    observable_page = text(client.get(f"/observables/{pid(obs('8.8.8.8'))}/enrichments/"))
    assert 'data-testid="benign-banner"' in observable_page
    assert 'data-testid="benign-banner"' not in text(client.get(f"/observables/{pid(obs(PHISH))}/enrichments/"))


def test_a_partner_sees_its_own_correlations_only(client, people, workbench):
    client.force_login(people["partner_reader"])  # Kestrel
    listing = text(client.get("/analysis/correlations/"))
    assert PHISH in listing and "8.8.8.8" not in listing and "<th>Organisations</th>" not in listing
    assert client.get(f"/analysis/correlations/{pid(obs(DROP))}/").status_code == 404  # only Atlas reported it
    (mine,) = campaign_list(principal=people["partner_reader"])  # its own campaign, of its own id
    page = text(client.get(f"/analysis/campaigns/{mine.pk}/"))
    assert "Add note" not in page and "Merge" not in page
    assert client.post(f"/analysis/campaigns/{mine.pk}/", {"op": "note", "text": "x"}).status_code == 403
    assert client.get(f"/analysis/campaigns/{workbench['drops'].pk}/").status_code == 404
    assert client.get("/analysis/exclusions/").status_code == 403
    assert client.get("/analysis/reports/new/").status_code == 403
    assert "Analysis" in text(client.get("/analysis/trends/"))


@pytest.mark.parametrize("role", ["auditor", "programme_manager"])
def test_host_staff_who_are_not_analysts_read_but_change_nothing(client, people, workbench, role):
    client.force_login(people[role])
    campaign = workbench["phishing"]
    assert "Merge" not in text(client.get(f"/analysis/campaigns/{campaign.pk}/"))
    assert client.post(f"/analysis/campaigns/{campaign.pk}/", {"op": "edit", "name": "X"}).status_code == 403
    assert client.get("/analysis/exclusions/").status_code == 403
    assert client.get("/analysis/correlations/").status_code == 200
    assert Campaign.objects.get(pk=campaign.pk).name == campaign.name


def test_logged_out_visitors_are_sent_to_log_in(client, workbench):
    response = client.get("/analysis/campaigns/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_lists_keep_a_fixed_number_of_queries(client, people, workbench, django_assert_max_num_queries):
    client.force_login(people["analyst"])
    for url in ("/analysis/correlations/", "/analysis/campaigns/", "/analysis/reports/"):
        with django_assert_max_num_queries(9 + BOUNDED_READ):  # 9 with the bell's unread count, on every page
            assert client.get(url).status_code == 200


def test_analysts_name_annotate_merge_and_split_campaigns(client, people, workbench):
    client.force_login(people["analyst"])
    phishing, drops = workbench["phishing"], workbench["drops"]
    url = f"/analysis/campaigns/{phishing.pk}/"
    response = client.post(
        url, {"op": "edit", "name": "Operation Kestrel Lure", "description": "Bank lures"}, follow=True
    )
    assert 'data-testid="campaign-name">Operation Kestrel Lure<' in text(response)
    client.post(url, {"op": "note", "text": "Same kit as in March."})
    assert CampaignNote.objects.get().text == "Same kit as in March."

    refused = client.post(url, {"op": "split", "split-observables": [pid(obs(PHISH))], "split-reason": " "})
    assert refused.status_code == 400 and "This field is required" in text(refused)

    response = client.post(
        url, {"op": "split", "split-observables": [pid(obs(MULE_IP))], "split-reason": "shared relay"}
    )
    assert response.status_code == 302
    assert LinkCut.objects.filter(observable=obs(MULE_IP)).exists()
    assert Campaign.objects.get(pk=phishing.pk).objects_count == 2

    response = client.post(
        url, {"op": "merge", "merge-campaigns": [drops.pk], "merge-reason": "same actor"}, follow=True
    )
    merged = Campaign.objects.get()
    assert merged.objects_count == 4 and merged.name == "Operation Kestrel Lure"
    assert "Campaigns merged." in text(response)


def test_a_split_offers_only_the_campaigns_own_observables(client, people, workbench):
    client.force_login(people["analyst"])
    response = client.post(
        f"/analysis/campaigns/{workbench['drops'].pk}/",
        {"op": "split", "split-observables": [pid(obs(PHISH))], "split-reason": "shared hosting"},
    )
    assert response.status_code == 400 and "is not one of the available choices" in text(response)
    assert not LinkCut.objects.exists()


def test_exclusion_lists_are_managed_in_the_ui(client, people, workbench):
    client.force_login(people["analyst"])
    page = text(client.get("/analysis/exclusions/"))
    assert 'data-testid="warning-lists"' in page and "List of known IPv4 public DNS resolvers" in page
    client.post("/analysis/exclusions/", {"op": "create", "name": "Sinkholes", "description": "Ours"})
    made = ExclusionList.objects.get(name="Sinkholes")
    duplicate = client.post("/analysis/exclusions/", {"op": "create", "name": "sinkholes"})
    assert duplicate.status_code == 400 and "a list called" in text(duplicate)

    prefix = f"entry{made.pk}"
    bad = client.post(
        "/analysis/exclusions/",
        {"op": "entry", "list": made.pk, f"{prefix}-type": "ipv4", f"{prefix}-pattern": "300.1.1.0/24"},
    )
    assert bad.status_code == 400 and "is not a network" in text(bad) and not made.entries.exists()
    assert f'id="id_{prefix}-pattern_error"' in text(bad)
    client.post(
        "/analysis/exclusions/",
        {
            "op": "entry",
            "list": made.pk,
            f"{prefix}-type": "domain",
            f"{prefix}-pattern": PHISH,
            f"{prefix}-comment": "x",
        },
    )
    assert Correlation.objects.get(pk=obs(PHISH).pk).benign == "Local list: Sinkholes"
    assert 'data-testid="known-benign"' in text(client.get("/analysis/correlations/", {"type": "domain"}))

    entry = made.entries.get()
    client.post(f"/analysis/exclusions/{made.pk}/entries/{entry.pk}/delete/")
    assert Correlation.objects.get(pk=obs(PHISH).pk).benign == ""
    client.post(f"/analysis/exclusions/{made.pk}/delete/")
    assert not ExclusionList.objects.exists()


def test_trends_show_tables_and_bars_for_a_period(client, people, workbench):
    client.force_login(people["analyst"])
    page = text(client.get("/analysis/trends/", {"since": "2026-01-01", "until": "2026-12-31"}))
    assert "<td>2026-05</td>" in page and 'class="bar"' in page and "Atlas Bank Group" in page
    empty = text(client.get("/analysis/trends/", {"since": "2020-01-01", "until": "2020-12-31"}))
    assert "<td>2026-05</td>" not in empty
    wrong = client.get("/analysis/trends/", {"since": "last week"})
    assert wrong.status_code == 400 and "is not an ISO 8601 date" in text(wrong)
    client.force_login(people["partner_reader"])
    assert "Atlas Bank Group" not in text(client.get("/analysis/trends/"))  # a partner sees its own contribution


def report_form(workbench: Any, **changes: Any) -> dict[str, Any]:
    return {
        "title": "Kestrel lure wave",
        "summary": "Phishing lures against two banks.",
        "tlp": "green",
        "audience": "organisations",
        "audience_organisations": [workbench["kestrel"].organisation_id],
        "campaigns": [workbench["phishing"].pk],
    } | changes


def test_analysts_draft_check_disseminate_and_print_reports(client, people, workbench):
    client.force_login(people["analyst"])
    refused = client.post("/analysis/reports/new/", report_form(workbench, audience="regions"))
    assert refused.status_code == 400 and not IntelReport.objects.exists()
    assert 'id="id_audience_regions_error"' in text(refused) and "name at least one" in text(refused)
    unknown = client.post("/analysis/reports/new/", report_form(workbench, objects="indicator--nope"))
    assert unknown.status_code == 400 and "no shared object indicator--nope" in text(unknown)

    response = client.post("/analysis/reports/new/", report_form(workbench))
    report = IntelReport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/analysis/reports/{report.pk}/"
    page = text(client.get(f"/analysis/reports/{report.pk}/"))
    assert "What would go now" in page and "TLP:AMBER is more restricted than the report" in page
    assert indicator(3, "")["id"] in page  # Atlas's GREEN lure may go to Kestrel
    draft = text(client.get(f"/analysis/reports/{report.pk}/print/"))
    assert 'data-testid="draft-banner"' in draft and draft.count('data-testid="object"') == 2

    client.force_login(people["partner_reader"])
    assert client.get(f"/analysis/reports/{report.pk}/").status_code == 404  # a draft stays with the analysts

    client.force_login(people["analyst"])
    client.post(f"/analysis/reports/{report.pk}/edit/", report_form(workbench, title="Kestrel lure wave, May"))
    asked = text(client.post(f"/analysis/reports/{report.pk}/"))  # the confirmation step first
    assert "go at once to\n    1 organisation" in asked and "This cannot be undone" in asked
    assert f'data-testid="recipients"><li>{workbench["kestrel"].organisation.name}</li></ul>' in asked
    report.refresh_from_db()
    assert report.status == "draft"
    client.post(f"/analysis/reports/{report.pk}/", {"confirm": "yes"})
    report.refresh_from_db()
    assert report.status == "disseminated" and report.title == "Kestrel lure wave, May"
    assert client.get(f"/analysis/reports/{report.pk}/edit/").status_code == 302
    assert "Kestrel lure wave, May" not in text(client.get("/analysis/reports/", {"status": "draft"}))
    assert "Kestrel lure wave, May" in text(client.get("/analysis/reports/", {"status": "disseminated"}))

    client.force_login(people["partner_reader"])
    assert "Kestrel lure wave, May" in text(client.get("/analysis/reports/"))
    page = text(client.get(f"/analysis/reports/{report.pk}/"))
    assert f"collection <code>report-{report.pk}</code>" in page  # read it through TAXII
    export = client.get(f"/shared/export/stix/?contents_of={report.stix_id}")
    exported = {o["id"] for o in orjson.loads(b"".join(export.streaming_content))["objects"]}
    assert report.stix_id in exported and indicator(3, "")["id"] in exported
    assert client.get(f"/taxii/{report.collection_id}/").status_code == 200
    printed = text(client.get(f"/analysis/reports/{report.pk}/print/"))
    assert printed.count('data-testid="object"') == 2 and "Kestrel phishing kit" in printed
    assert "print-blocked" not in printed and "Mule account relay" not in printed  # the AMBER one stayed out
    client.force_login(workbench["banker"])
    assert client.get(f"/analysis/reports/{report.pk}/print/").status_code == 404  # not delivered to Atlas
    assert client.get(f"/taxii/{report.collection_id}/").status_code == 404
