"""Fixtures of the sharing tests."""

from __future__ import annotations

from typing import Any

import pytest

from accord.taxii.services import collections_sync
from tests.factories import UserFactory, make_agreement


@pytest.fixture
def sharer(partner: Any, people: Any, settings: Any, tmp_path: Any) -> Any:
    """Kestrel's data-sharing agreement (AMBER unless marked, kept 30 days), files under tmp_path."""
    settings.MEDIA_ROOT = tmp_path
    return make_agreement(partner, default_tlp="amber", retention_days=30)


@pytest.fixture
def scene(partner: Any, other_partner: Any, people: Any, settings: Any, tmp_path: Any) -> dict[str, Any]:
    """The bank (A, other_partner) redacts personal data and financial identifiers on onward
    sharing; Kestrel (B, partner) reads under an agreement that takes every category."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    make_agreement(other_partner, onward_redactions=["personal_data", "financial_identifier"])
    collections_sync()
    return {
        "a": UserFactory(organisation=other_partner, role="partner_contributor"),
        "b": people["partner_reader"],
        "host": people["analyst"],
    }


@pytest.fixture
def own_live_cache(settings: Any, tmp_path: Any) -> None:
    """A live cache (ingest progress) of the test's own: the suite's workers share one folder
    and number their submissions alike, so a figure set for submission 1 could be another's."""
    settings.CACHES = settings.CACHES | {"live": settings.CACHES["live"] | {"LOCATION": str(tmp_path / "live")}}
