"""Programme fixtures: a partner with secondment and training-support agreements, a member
country's unit with its contributor and officers, and helpers that create through the API."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from accord.core.choices import Role
from accord.core.models import Organisation, User
from accord.partners.models import Agreement
from accord.programme.models import Course, Expert, Officer
from tests.factories import OrganisationFactory, UserFactory, make_agreement

TODAY = timezone.localdate()


def days(n: int) -> date:
    """The date ``n`` days from today."""
    return TODAY + timedelta(days=n)


@pytest.fixture
def secondment_agreement(partner: Organisation) -> Agreement:
    now = timezone.now()
    return make_agreement(
        partner, kind="secondment", valid_from=now - timedelta(days=30), valid_until=now + timedelta(days=800)
    )


@pytest.fixture
def training_agreement(partner: Organisation) -> Agreement:
    now = timezone.now()
    return make_agreement(
        partner, kind="training_support", valid_from=now - timedelta(days=30), valid_until=now + timedelta(days=400)
    )


@pytest.fixture
def unit(db: Any) -> Organisation:
    """A member country's cybercrime unit."""
    return OrganisationFactory(name="Kenya National Cybercrime Unit", kind="law_enforcement", sector="", country="KE")


@pytest.fixture
def unit_contributor(unit: Organisation) -> User:
    return UserFactory(username="k.mwangi", role=Role.PARTNER_CONTRIBUTOR, organisation=unit)


def make_officer(unit: Organisation, n: int) -> Officer:
    """An officer row (the service is exercised by the tests that create officers)."""
    return Officer.objects.create(
        organisation=unit,
        full_name=f"Officer {n:02}",
        email=f"officer{n}@police.example",
        country=unit.country,
        region=unit.region,
    )


@pytest.fixture
def expert(partner: Organisation) -> Expert:
    return Expert.objects.create(
        organisation=partner,
        full_name="Yuki Sato",
        email="y.sato@kestrel.example",
        skills={"malware_analysis": 5, "threat_intelligence": 4},
        languages=[{"language": "en", "proficiency": "C1"}],
        clearance_level="secret",
        clearance_expires=days(1000),
        availability=[{"start": days(0).isoformat(), "end": days(700).isoformat()}],
    )


@pytest.fixture
def course(db: Any) -> Course:
    return Course.objects.create(
        code="CRY-201",
        title="Cryptocurrency investigations",
        topic="Blockchain analysis",
        level="intermediate",
        delivery_mode="hybrid",
        duration_days=5,
        learning_outcomes="Trace funds across chains\nIdentify exchange deposits",
        pass_score=70,
    )


def request_payload(**changes: Any) -> dict[str, Any]:
    return {
        "title": "Malware analyst for the ransomware task force",
        "unit": "Cyber Fusion Centre",
        "project": "Operation Nightjar",
        "purpose": "operations_support",
        "location_city": "Singapore",
        "location_country": "SG",
        "start": days(10).isoformat(),
        "end": days(190).isoformat(),
        "required_skills": {"malware_analysis": 4},
        "languages": [{"language": "en", "proficiency": "B2"}],
        "clearance": "secret",
    } | changes
