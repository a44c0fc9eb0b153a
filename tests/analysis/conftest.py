"""Shared data for the workbench tests: two partners' objects, shared through the API, forming
correlations, a known-benign value and two campaigns."""

from __future__ import annotations

from typing import Any

import pytest

from accord.analysis.models import Campaign
from accord.formats.markings import TLP2_IDS
from tests.analysis.test_correlation import DROP, MULE_IP, PHISH, domain, ip, share
from tests.factories import UserFactory, make_agreement
from tests.stix_samples import indicator


@pytest.fixture
def workbench(
    api_for: Any, partner: Any, other_partner: Any, people: Any, settings: Any, tmp_path: Any
) -> dict[str, Any]:
    """Kestrel (``partner``) and Atlas (``other_partner``) share under agreements allowing
    attribution: ``MULE_IP`` (Kestrel twice) and ``PHISH`` (both) join objects 1-3 into one
    campaign, ``DROP`` joins Atlas's 6 and 7 into another, and ``8.8.8.8`` (both) is warning-listed.
    Objects 2 and 3 are TLP:GREEN, the rest TLP:AMBER."""
    settings.MEDIA_ROOT = tmp_path
    green = [TLP2_IDS["green"]]
    make_agreement(partner)
    make_agreement(other_partner)
    banker = UserFactory(username="banker", organisation=other_partner, role="partner_contributor")
    kestrel = people["partner_contributor"]
    share(
        api_for(kestrel),
        indicator(1, ip(MULE_IP), name="Mule account relay"),
        indicator(2, f"{ip(MULE_IP)} OR {domain(PHISH)}", name="Kestrel phishing kit", object_marking_refs=green),
        indicator(5, ip("8.8.8.8")),
    )
    share(
        api_for(banker),
        indicator(3, domain(PHISH), name="Atlas phishing lure", object_marking_refs=green),
        indicator(4, ip("8.8.8.8")),
        indicator(6, domain(DROP), name="Drop site A"),
        indicator(7, domain(DROP), name="Drop site B"),
    )
    campaigns = list(Campaign.objects.order_by("pk"))
    assert [c.objects_count for c in campaigns] == [3, 2]
    return {"kestrel": kestrel, "banker": banker, "phishing": campaigns[0], "drops": campaigns[1]}
