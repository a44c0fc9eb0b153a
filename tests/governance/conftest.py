"""Governance fixtures: the seeded groups, two national units with their heads, a meeting."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accord.core.choices import OrganisationKind, Role
from accord.governance import services
from accord.governance.models import Group
from accord.governance.services import groups_ensure
from tests.factories import TEST_PASSWORD, OrganisationFactory, UserFactory

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


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


@pytest.fixture
def setting(api_for, groups, heads, people, host):
    manager = people["programme_manager"]
    seat(api_for("programme_manager"), groups["africa"], heads["kenya"], role="chair")
    start = timezone.now() + timedelta(days=7)
    meeting = services.meeting_schedule(
        actor=manager,
        title="Africa spring session",
        groups=[groups["africa"]],
        starts_at=start,
        ends_at=start + timedelta(hours=4),
        city="Nairobi",
        country="KE",
        agenda=["Opening"],
    )
    services.meeting_set_minutes(actor=manager, meeting=meeting, minutes="**Agreed**\n\n<img src=x onerror=alert(1)>")
    late = services.recommendation_create(
        actor=manager,
        meeting=meeting,
        group=groups["africa"],
        title="Regional BEC reporting channel",
        area="operational",
        due_date=timezone.localdate() - timedelta(days=3),
    )
    other = OrganisationFactory(name="Second Host", kind="law_enforcement", sector="", country="FR")
    services.conference_configure(actor=manager, first_host=host, second_host=other, first_year=2013)
    year = timezone.localdate().year + 1
    edition = services.edition_create(
        actor=manager,
        year=year,
        host=services.expected_host(year),
        theme="Trust at scale",
        venue="Expo",
        city="Lyon",
        country="FR",
        start_date=date(year, 9, 1),
        end_date=date(year, 9, 3),
        capacity=50,
    )
    services.registration_create(
        actor=manager, edition=edition, name="Kevin", email="k@example.org", sector="law_enforcement", country="KE"
    )
    return {"meeting": meeting, "late": late, "edition": edition}
