"""An installation whose campaigns were made before they kept their policy groups, and before the
correlations each organisation enabled were kept, migrates to figures computed from what is
stored: the same as the upkeep keeps them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accord.analysis.models import Campaign, EnabledCorrelations, PolicyGroup
from accord.formats.markings import TLP2_IDS
from tests.analysis.conftest import ip, share
from tests.stix_samples import indicator


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_the_groups_of_campaigns_made_before_are_computed_from_their_members(api_for, sharers):
    kestrel, atlas = api_for(sharers[0]), api_for(sharers[1])
    red, green = [TLP2_IDS["red"]], [TLP2_IDS["green"]]
    share(kestrel, indicator(1, ip("194.147.84.1"), object_marking_refs=red), indicator(2, ip("194.147.84.1")))
    share(atlas, indicator(3, ip("194.147.84.1"), object_marking_refs=green), indicator(4, ip("194.147.84.9")))
    share(atlas, indicator(5, ip("194.147.84.9"), object_marking_refs=red))
    kept = list(Campaign.objects.order_by("pk").values_list("pk", "policy_groups", "first_group"))
    enabled = sorted(EnabledCorrelations.objects.values_list("organisation_id", "count"))
    assert enabled  # both partners reported 194.147.84.1
    groups = {
        pk: (org, agreement, tlp, category)
        for pk, org, agreement, tlp, category in PolicyGroup.objects.values_list(
            "pk", "organisation_id", "agreement_key", "tlp", "data_category"
        )
    }
    assert len(kept) == 2 and all(len(found) >= 2 for _, found, _ in kept)
    try:
        _migrate([("analysis", "0012_reader_correlation_count")])
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
        made = list(Campaign.objects.order_by("pk").values_list("pk", "policy_groups", "first_group"))
        again = {
            pk: (org, agreement, tlp, category)
            for pk, org, agreement, tlp, category in PolicyGroup.objects.values_list(
                "pk", "organisation_id", "agreement_key", "tlp", "data_category"
            )
        }
        # the same groups, in the same order (numbers may differ: the table was made again)
        assert [(pk, [again[g] for g in found], again[first]) for pk, found, first in made] == [
            (pk, [groups[g] for g in found], groups[first]) for pk, found, first in kept
        ]
        assert sorted(EnabledCorrelations.objects.values_list("organisation_id", "count")) == enabled
        assert made[0][1][0] == made[0][2] and again[made[0][2]][2] == "green"  # least restricted first
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
