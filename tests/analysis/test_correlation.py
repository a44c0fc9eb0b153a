"""Correlation, known-benign suppression, over-correlation and campaigns, through the API and CLI."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.analysis.models import Campaign, CampaignMember, Correlation, ObservableSource, ReaderCorrelation
from accord.core.models import AuditEvent
from accord.sharing.models import StixObject
from accord.sharing.services import objects as objects_services
from tests.analysis.conftest import (
    C2_IP,
    CAMPAIGNS,
    CORRELATIONS,
    DROP,
    GREEN,
    MULE_IP,
    PHISH,
    SUBMIT,
    domain,
    ip,
    observable,
    share,
)
from tests.ids import pid
from tests.stix_samples import bundle, indicator


def test_the_test_values_are_not_benign(db):
    from accord.analysis.benign import reasons

    assert reasons("ipv4", [MULE_IP, C2_IP]) == {}
    assert reasons("domain", [PHISH, DROP]) == {}


def test_a_value_shared_by_two_partners_correlates(api_for, sharers):
    kestrel, banker = sharers
    share(api_for(kestrel), indicator(1, ip(MULE_IP), object_marking_refs=GREEN))
    assert not Correlation.objects.filter(pk=observable(MULE_IP).pk).exists()
    share(api_for(banker), indicator(2, ip(MULE_IP), object_marking_refs=GREEN))
    row = Correlation.objects.get(pk=observable(MULE_IP).pk)
    assert (row.organisation_count, row.object_count, row.benign, row.correlated_at is not None) == (2, 2, "", True)

    listed = api_for("analyst").get(CORRELATIONS).json()
    assert [(r["value"], r["organisation_count"]) for r in listed["results"]] == [(MULE_IP, 2)]
    detail = api_for(kestrel).get(f"{CORRELATIONS}{pid(observable(MULE_IP))}/").json()
    assert detail["correlates"] is True
    assert [(s["organisation"], s["own"]) for s in detail["sources"]] == [
        ("Kestrel Threat Labs", True),
        ("Atlas Bank Group", False),
    ]
    assert "organisation_count" not in api_for(kestrel).get(CORRELATIONS).json()["results"][0]


def test_warning_listed_values_never_correlate_nor_link(api_for, sharers):
    kestrel, banker = sharers
    share(api_for(kestrel), indicator(1, ip("8.8.8.8")), indicator(2, domain("google.com")))
    share(api_for(banker), indicator(3, ip("8.8.8.8")), indicator(4, domain("google.com")))
    rows = {c.observable.value: c for c in Correlation.objects.select_related("observable")}
    assert rows["8.8.8.8"].benign == "Warning list: List of known IPv4 public DNS resolvers"
    assert rows["google.com"].benign.startswith("Warning list: ")
    assert not Campaign.objects.exists()
    assert api_for(kestrel).get(CORRELATIONS).json()["count"] == 0
    benign = api_for("analyst").get(CORRELATIONS, {"known_benign": "true"}).json()
    assert {r["value"] for r in benign["results"]} == {"8.8.8.8", "google.com"}


def test_an_over_correlating_value_is_capped(api_for, sharers, settings):
    settings.ACCORD_CORRELATION_CAP = 3
    kestrel, banker = sharers
    share(api_for(kestrel), *(indicator(n, f"{ip(C2_IP)} OR {ip(f'194.147.78.{100 + n}')}") for n in range(1, 3)))
    assert CampaignMember.objects.count() == 2  # two objects joined by the C2 address
    share(api_for(banker), *(indicator(n, ip(C2_IP)) for n in range(3, 5)))
    row = Correlation.objects.get(pk=observable(C2_IP).pk)
    assert (row.object_count, row.over_correlating) == (4, True)
    assert not Campaign.objects.exists()  # the capped value links nothing
    assert api_for("analyst").get(CORRELATIONS, {"over_correlating": "true"}).json()["count"] == 1


def test_campaigns_merge_on_a_bridging_object_and_split_when_it_is_revoked(api_for, sharers):
    kestrel, banker = sharers
    share(api_for(kestrel), indicator(1, ip(MULE_IP)), indicator(2, f"{ip(MULE_IP)} OR {domain('a-' + PHISH)}"))
    share(api_for(banker), indicator(3, domain(PHISH)), indicator(4, domain(PHISH)))
    assert Campaign.objects.count() == 2
    bridge = indicator(5, f"{ip(MULE_IP)} OR {domain(PHISH)}")
    share(api_for(banker), bridge)
    campaign = Campaign.objects.get()
    assert (campaign.objects_count, campaign.organisations_count) == (5, 2)
    assert campaign.regions == ["europe", "mena"]

    response = api_for(banker).post(f"/api/v1/objects/{bridge['id']}/revoke/", {"reason": "mistake"}, format="json")
    assert response.status_code == 200
    assert sorted(Campaign.objects.values_list("objects_count", flat=True)) == [2, 2]
    assert not CampaignMember.objects.filter(stix_object__stix_id=bridge["id"]).exists()
    assert (
        ObservableSource.objects.get(observable=observable(PHISH), organisation=banker.organisation).object_count == 2
    )


def test_campaigns_split_when_the_bridging_object_is_purged(api_for, sharers):
    kestrel, banker = sharers
    share(api_for(kestrel), indicator(1, ip(MULE_IP)), indicator(2, ip(MULE_IP)))
    share(api_for(banker), indicator(3, domain(PHISH)), indicator(4, f"{domain(PHISH)} OR {ip(MULE_IP)}"))
    assert Campaign.objects.get().objects_count == 4
    StixObject.objects.filter(stix_id=indicator(4, "")["id"]).update(expires_at=timezone.now() - timedelta(days=1))
    call_command("retention", "purge")
    assert list(Campaign.objects.values_list("objects_count", flat=True)) == [2]
    assert Correlation.objects.get(pk=observable(MULE_IP).pk).organisation_count == 1


def test_a_campaign_whose_members_are_all_purged_is_gone(api_for, sharers):
    """Its membership goes with the purged rows, so no member is left to find it through: it
    stayed listed, counting objects that no longer exist."""
    gone = _all_gone(api_for, sharers)
    call_command("retention", "purge")
    assert list(Campaign.objects.values_list("objects_count", flat=True)) == [2]
    assert not CampaignMember.objects.filter(stix_object__stix_id__in=gone).exists()
    listed = api_for("analyst").get(CAMPAIGNS).json()
    assert [c["objects_count"] for c in listed["results"]] == [2]


def _all_gone(api_for: Any, sharers: Any) -> list[str]:
    """Two campaigns of two versions each; the first's are past their retention. Their ids."""
    kestrel, banker = sharers
    share(api_for(kestrel), indicator(1, ip(MULE_IP)), indicator(2, ip(MULE_IP)))
    share(api_for(banker), indicator(3, domain(PHISH)), indicator(4, domain(PHISH)))
    assert Campaign.objects.count() == 2
    gone = [indicator(n, "")["id"] for n in (1, 2)]
    StixObject.objects.filter(stix_id__in=gone).update(expires_at=timezone.now() - timedelta(days=1))
    return gone


def test_a_purge_finds_the_campaigns_it_empties_by_their_members_before_it_deletes(api_for, sharers):
    """The campaigns the purged versions were members of are read as they leave, so the purge
    dissolves the one it emptied without looking for campaigns without members among them all."""
    _all_gone(api_for, sharers)
    with CaptureQueriesContext(connection) as queries:
        call_command("retention", "purge")
    assert list(Campaign.objects.values_list("objects_count", flat=True)) == [2]
    every_campaign = [q["sql"] for q in queries if q["sql"].startswith('SELECT "analysis_campaign"."id"')]
    assert every_campaign == []
    members = "SELECT stix_object_id, campaign_id FROM analysis_campaignmember WHERE stix_object_id"
    by_object = [q for q in queries if q["sql"].startswith(members)]
    if connection.features.can_return_columns_from_insert:  # the delete of the memberships returns the rest
        assert len(by_object) == 1, by_object  # as the versions leave


def test_versions_removed_without_being_told_as_leaving_still_dissolve_their_campaigns(api_for, sharers, monkeypatch):
    """Where the listener was not told which versions were leaving (or was told of others), their
    emptied campaigns are found among all the campaigns, as before."""
    gone = _all_gone(api_for, sharers)
    monkeypatch.setattr(objects_services, "notify_leaving", lambda **_: None)
    call_command("retention", "purge")
    assert list(Campaign.objects.values_list("objects_count", flat=True)) == [2]
    assert not StixObject.objects.filter(stix_id__in=gone).exists()


def test_versions_of_one_object_alone_are_no_campaign(api_for, sharers):
    kestrel, _ = sharers
    share(api_for(kestrel), indicator(1, ip(MULE_IP)))
    share(api_for(kestrel), indicator(1, ip(MULE_IP), modified="2026-06-01T00:00:00.000Z"))
    assert Correlation.objects.get(pk=observable(MULE_IP).pk).object_count == 2
    assert not Campaign.objects.exists()


def test_rebuild_gives_what_the_incremental_path_gave(api_for, sharers, capsys):
    kestrel, banker = sharers
    share(api_for(kestrel), indicator(1, ip(MULE_IP)), indicator(2, f"{ip(MULE_IP)} OR {domain(DROP)}"))
    share(api_for(banker), indicator(3, domain(DROP)), indicator(4, ip("8.8.8.8")), indicator(5, ip("8.8.8.8")))
    campaign = Campaign.objects.get()
    api_for("analyst").patch(f"{CAMPAIGNS}{campaign.pk}/", {"name": "Mule ring"}, format="json")

    def state() -> Any:
        return (
            sorted(Correlation.objects.values_list("observable_id", "organisation_count", "object_count", "benign")),
            sorted(ObservableSource.objects.values_list("observable_id", "organisation_id", "object_count")),
            sorted(CampaignMember.objects.values_list("stix_object_id", "campaign_id")),
            list(Campaign.objects.values_list("pk", "name", "objects_count")),
        )

    before = state()
    Correlation.objects.all().delete()
    ObservableSource.objects.all().delete()
    call_command("analysis", "rebuild")
    assert state() == before
    assert "campaigns" in capsys.readouterr().out
    assert AuditEvent.objects.filter(action="analysis.rebuild").exists()


def test_a_failed_ingest_leaves_no_correlation(api_for, sharers):
    """A strict submission with a refused object fails whole, and its valid objects correlate nothing."""
    kestrel, banker = sharers
    share(api_for(kestrel), indicator(1, ip(MULE_IP)))
    upload = io.BytesIO(bundle(indicator(2, ip(MULE_IP)), {"type": "indicator", "id": "bad"}))
    upload.name = "bad.json"
    response = api_for(banker).post(SUBMIT, {"file": upload, "strict": "true"}, format="multipart")
    assert response.status_code == 400
    assert not Correlation.objects.exists() and not ObservableSource.objects.exists()
    share(api_for(banker), indicator(2, ip(MULE_IP)))  # the same, valid, goes through
    assert sorted(ObservableSource.objects.values_list("object_count", flat=True)) == [1, 1]


def test_a_purged_member_leaves_its_campaign_counted_right(api_for, sharers):
    kestrel, banker = sharers
    share(api_for(kestrel), indicator(1, ip(MULE_IP)), indicator(2, ip(MULE_IP)))
    share(api_for(banker), indicator(3, ip(MULE_IP)))
    assert Campaign.objects.get().objects_count == 3
    StixObject.objects.filter(stix_id=indicator(3, "")["id"]).update(expires_at=timezone.now() - timedelta(days=1))
    call_command("retention", "purge")
    campaign = Campaign.objects.get()
    assert (campaign.objects_count, campaign.organisations_count) == (2, 1)


def test_a_purge_drops_a_correlation_with_a_partners_kept_rows(api_for, sharers):
    """A partner that read its correlations keeps rows naming them: a purge that leaves an
    observable mentioned once drops its correlation with those rows (they held the purge's
    commit on the foreign key), and the partner's next read no longer shows it."""
    kestrel, banker = sharers
    share(api_for(kestrel), indicator(1, ip(MULE_IP), object_marking_refs=GREEN))
    share(api_for(banker), indicator(2, ip(MULE_IP), object_marking_refs=GREEN))
    assert [r["value"] for r in api_for(kestrel).get(CORRELATIONS).json()["results"]] == [MULE_IP]
    assert ReaderCorrelation.objects.filter(correlation_id=observable(MULE_IP).pk).exists()
    StixObject.objects.filter(stix_id=indicator(2, "")["id"]).update(expires_at=timezone.now() - timedelta(days=1))
    call_command("retention", "purge")
    assert not Correlation.objects.exists() and not ReaderCorrelation.objects.exists()
    assert api_for(kestrel).get(CORRELATIONS).json()["results"] == []
