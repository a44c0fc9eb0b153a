"""factory_boy factories for test data (rows only; services are exercised by the tests)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone

from accord.core.choices import DataCategory, OrganisationKind, OrganisationStatus, Purpose, Region, Role, Sector, Tlp
from accord.core.models import Organisation, User
from accord.core.regions import region_for
from accord.partners.models import Agreement, AgreementVersion

TEST_PASSWORD = "correct-horse-battery-staple"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Partner {n}")
    short_name = factory.Sequence(lambda n: f"P{n}")
    kind = OrganisationKind.PRIVATE
    sector = Sector.CYBERSECURITY
    country = "GB"
    region = factory.LazyAttribute(lambda o: region_for(o.country))
    status = OrganisationStatus.ACTIVE
    reliability = "B"


class HostFactory(OrganisationFactory):
    name = "Test Directorate"
    short_name = "TD"
    kind = OrganisationKind.INTERNATIONAL_ORG
    sector = ""
    country = "SG"
    is_host = True
    reliability = "A"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    role = Role.PARTNER_READER
    organisation = factory.SubFactory(OrganisationFactory)
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def persist(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


# FIRST IEP 2.0 and the local IEP 1.0 terms, as a programme manager would usually set them.
IEP_TERMS: dict[str, str] = {
    "encrypt_in_transit": "must",
    "permitted_actions": "internally-visible-actions",
    "affected_party_notifications": "may",
    "iep_tlp": "amber",
    "provider_attribution": "may",
    "unmodified_resale": "must-not",
    "encrypt_at_rest": "must",
    "obfuscate_affected_parties": "may",
}

# Complete data-sharing terms as the API takes them.
DSA_TERMS: dict[str, Any] = IEP_TERMS | {
    "data_categories": ["financial_identifier", "technical_indicator"],
    "purposes": ["investigation"],
    "tlp_ceiling": "amber",
    "default_tlp": "amber",
    "onward_kinds": ["law_enforcement"],
    "onward_regions": ["americas"],
    "onward_redactions": ["personal_data"],
    "retention_days": 730,
    "pap": "green",
}


def make_agreement(
    organisation: Organisation,
    *,
    status: str = "active",
    kind: str = "data_sharing",
    valid_from: Any = None,
    valid_until: Any = None,
    signed: bool = True,
    **terms: Any,
) -> Agreement:
    """An agreement with one version in force (rows only; the services are tested on their own),
    its signed document named (``signed=False``: none)."""
    now = timezone.now()
    defaults: dict[str, Any] = IEP_TERMS | {
        "data_categories": list(DataCategory.values),
        "purposes": [Purpose.INVESTIGATION, Purpose.PREVENTION],
        "tlp_ceiling": Tlp.AMBER,
        "default_tlp": Tlp.AMBER,
        "onward_kinds": list(OrganisationKind.values),
        "onward_regions": list(Region.values),
        "onward_redactions": [],
        "retention_days": 365,
        "pap": "green",
    }
    count = Agreement.objects.count() + 1
    agreement = Agreement.objects.create(
        reference=f"DSA-2026-{count:03}",
        organisation=organisation,
        kind=kind,
        title=f"Data sharing with {organisation.name}",
        status=status,
        status_changed_at=now - timedelta(days=30),
    )
    version = AgreementVersion.objects.create(
        agreement=agreement,
        number=1,
        valid_from=valid_from or now - timedelta(days=365),
        valid_until=valid_until if valid_until is not None else now + timedelta(days=365),
        **(defaults | ({"document": "agreements/signed.pdf", "document_name": "signed.pdf"} if signed else {}) | terms),
    )
    agreement.current_version = version
    agreement.save(update_fields=["current_version"])
    return agreement
