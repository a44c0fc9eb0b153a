"""factory_boy factories for test data (rows only; services are exercised by the tests)."""

from __future__ import annotations

import factory

from accord.core.choices import OrganisationKind, OrganisationStatus, Role, Sector
from accord.core.models import Organisation, User
from accord.core.regions import region_for

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
