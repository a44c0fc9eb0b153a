"""An order is an answer too: no list may be ordered by what its reader is not shown.

Correlations and campaigns carry totals over every object (host staff read them); a partner
ordering by one of them would rank values by objects it may not see.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIRequestFactory

from accord.core.choices import OrganisationKind
from accord.core.pagination import StableOrdering
from accord.formats.markings import TLP2_IDS
from tests.analysis.conftest import CORRELATIONS, domain, ip, share
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.stix_samples import indicator

GREEN = [TLP2_IDS["green"]]
X, Y = "194.147.78.21", "kestrel-lure.xyz"
TOTALS = [
    *(f"{sign}{name}" for sign in ("", "-") for name in ("organisation_count", "object_count", "updated_at")),
    *(f"{sign}{name}" for sign in ("", "-") for name in ("objects_count", "organisations_count", "regions")),
]


def _orders(client: Any) -> dict[str, list[Any]]:
    found = {}
    for term in ["", *TOTALS]:
        rows = client.get(CORRELATIONS, {"ordering": term} if term else {}).json()["results"]
        found[term] = [row["value"] for row in rows]
        campaigns = client.get("/api/v1/campaigns/", {"ordering": term} if term else {}).json()["results"]
        found[f"campaigns {term}"] = [row["id"] for row in campaigns]
    return found


@pytest.mark.django_db
def test_a_partner_cannot_order_by_totals_over_objects_it_may_not_see(api_for, sharers, db):
    kestrel, banker = sharers
    # Two campaigns of two objects each, one joined by X, the other by Y.
    share(
        api_for(kestrel),
        indicator(1, ip(X), object_marking_refs=GREEN),
        indicator(2, domain(Y), object_marking_refs=GREEN),
    )
    share(
        api_for(banker),
        indicator(3, ip(X), object_marking_refs=GREEN),
        indicator(4, domain(Y), object_marking_refs=GREEN),
    )
    reader = api_for("partner_reader")
    before = _orders(reader)
    assert len(before["campaigns "]) == len(before[""]) == 2
    police = OrganisationFactory(name="Police", kind=OrganisationKind.LAW_ENFORCEMENT, sector="", country="FR")
    make_agreement(police)
    officer = UserFactory(organisation=police, role="partner_contributor")
    # AMBER: law enforcement and the host see it, Kestrel (a private firm) does not.
    share(api_for(officer), indicator(5, ip(X), object_marking_refs=[TLP2_IDS["amber"]]))
    after = _orders(reader)
    assert after == before
    host = _orders(api_for("analyst"))
    assert host[""][0] == X  # host staff see the totals, so the test can fail


def test_a_view_that_names_no_ordering_fields_takes_no_ordering():
    """Every API list: ``?ordering=`` takes only the fields its view names."""
    checked = 0
    request = APIRequestFactory().get("/")

    def views(patterns: list[Any]) -> Any:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from views(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                yield getattr(pattern.callback, "cls", None)

    for view in {v for v in views(get_resolver().url_patterns) if v is not None}:
        backends = getattr(view, "filter_backends", [])
        if not any(issubclass(b, StableOrdering) for b in backends):
            continue
        named = getattr(view, "ordering_fields", None)
        valid = {name for name, _ in StableOrdering().get_valid_fields(None, view(), {"request": request})}
        assert valid == set(named or []), view
        checked += 1
    assert checked > 10
