"""Governance fixtures: the seeded groups, two national units with their heads, a meeting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accord.core.choices import OrganisationKind, Role
from accord.governance.models import Group
from accord.governance.services import groups_ensure
from tests.factories import OrganisationFactory, UserFactory

API = "/api/v1/governance/"


@pytest.fixture
def groups(db: Any) -> dict[str, Group]:
    groups_ensure()
    found = {g.region or "global": g for g in Group.objects.all()}
    return found


def unit(country: str, name: str) -> Any:
    return OrganisationFactory(name=name, kind=OrganisationKind.LAW_ENFORCEMENT, sector="", country=country)


@pytest.fixture
def kenya(db: Any) -> Any:
    return unit("KE", "Kenya National Cybercrime Unit")


@pytest.fixture
def france(db: Any) -> Any:
    return unit("FR", "French Cybercrime Office")


@pytest.fixture
def heads(kenya: Any, france: Any) -> dict[str, Any]:
    return {
        "kenya": UserFactory(username="k.mwangi", organisation=kenya, role=Role.PARTNER_CONTRIBUTOR),
        "france": UserFactory(username="c.martin", organisation=france, role=Role.PARTNER_CONTRIBUTOR),
    }


def seat(api: Any, group: Group, person: Any, **extra: Any) -> Any:
    body = {"group": group.pk, "person": person.pk, "term_start": str(timezone.localdate() - timedelta(days=30))}
    return api.post(f"{API}memberships/", body | extra, format="json")


def schedule(api: Any, groups: list[Group], **extra: Any) -> Any:
    start = timezone.now() + timedelta(days=14)
    body = {
        "title": "Heads of units: Africa, spring session",
        "groups": [g.pk for g in groups],
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=6)).isoformat(),
        "city": "Nairobi",
        "country": "KE",
        "themes": ["business email compromise"],
        "agenda": ["Opening", "Operation planning"],
    }
    return api.post(f"{API}meetings/", body | extra, format="json")
