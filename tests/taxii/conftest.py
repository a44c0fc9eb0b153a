"""TAXII fixtures: a sharing partner with its inbox, the standard collections, taxii-scoped tokens."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accord.core.models import Organisation, User
from accord.core.roles import allowed_scopes
from accord.core.services import token_issue
from accord.taxii.api import MEDIA_TYPE
from accord.taxii.models import Collection
from accord.taxii.services import collections_sync
from tests.factories import OrganisationFactory, UserFactory, make_agreement

ROOT = "/taxii2/api/"


@pytest.fixture
def sharer(partner: Any, people: Any, settings: Any, tmp_path: Any) -> Any:
    """Kestrel (the partner) shares under an agreement in force; the standard collections exist."""
    settings.MEDIA_ROOT = tmp_path
    agreement = make_agreement(partner, default_tlp="green", retention_days=30)
    collections_sync()
    return agreement


@pytest.fixture
def inbox(sharer: Any, partner: Any) -> Collection:
    return Collection.objects.get(kind="inbox", organisation=partner)


def secret_for(user: User, scopes: tuple[str, ...] = ("taxii", "write")) -> str:
    """A token of ``scopes``, as far as the person's role may hold them (readers: ``taxii`` alone)."""
    granted = [s for s in scopes if s in allowed_scopes(user.role)]
    return token_issue(actor=None, user=user, name="taxii", scopes=granted).secret


class Taxii:
    """A Django test client speaking TAXII 2.1 as one person (Basic auth, the TAXII media type)."""

    def __init__(self, user: User, secret: str, accept: str = MEDIA_TYPE) -> None:
        self.client = Client()
        self.user = user
        credentials = base64.b64encode(f"{user.username}:{secret}".encode()).decode()
        self.headers = {"Authorization": f"Basic {credentials}", "Accept": accept}

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(ROOT + path, params or {}, headers=self.headers | headers)

    def post(self, path: str, body: bytes, content_type: str = MEDIA_TYPE, **headers: str) -> Any:
        return self.client.post(ROOT + path, body, content_type=content_type, headers=self.headers | headers)

    def delete(self, path: str, **headers: str) -> Any:
        return self.client.delete(ROOT + path, headers=self.headers | headers)


@pytest.fixture
def taxii_as(people: dict[str, User]) -> Callable[..., Taxii]:
    def make(who: str | User, scopes: tuple[str, ...] = ("taxii", "write")) -> Taxii:
        user = people[who] if isinstance(who, str) else who
        return Taxii(user, secret_for(user, scopes))

    return make


@pytest.fixture
def reader_org(db: Any) -> Organisation:
    """Atlas, a bank (no law enforcement: TLP:AMBER reaches it only when addressed to it)."""
    return OrganisationFactory(name="Atlas Bank Group", country="AE", sector="banking_finance")


@pytest.fixture
def poller(live_server: Any, sharer: Any, reader_org: Organisation) -> Any:
    """An incremental poller of the shared collection, reading as a person of ``reader_org``."""
    from tests.taxii.polling import Poller  # it reads this module's tokens

    shared = Collection.objects.get(alias="shared")
    reader = UserFactory(role="partner_reader", organisation=reader_org)
    return Poller(f"{live_server.url}/taxii2/api/collections/{shared.pk}/", reader)
