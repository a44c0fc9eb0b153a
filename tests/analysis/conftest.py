"""Shared data of the analysis tests: two partners sharing STIX bundles through the API."""

from __future__ import annotations

import io
from typing import Any

import pytest

from accord.formats.markings import TLP2_IDS
from accord.sharing.models import Observable
from tests.factories import UserFactory, make_agreement
from tests.stix_samples import bundle

SUBMIT = "/api/v1/submissions/"
CORRELATIONS = "/api/v1/correlations/"
CAMPAIGNS = "/api/v1/campaigns/"
GREEN = [TLP2_IDS["green"]]

# Values no warning list names (checked by test_the_test_values_are_not_benign).
MULE_IP = "194.147.78.10"
C2_IP = "194.147.78.11"
PHISH = "kestrel-update.xyz"
DROP = "login-bank-verify.info"


def ip(value: str) -> str:
    return f"[ipv4-addr:value = '{value}']"


def domain(value: str) -> str:
    return f"[domain-name:value = '{value}']"


def share(client: Any, *objects: dict[str, Any]) -> dict[str, Any]:
    upload = io.BytesIO(bundle(*objects))
    upload.name = "share.json"
    response = client.post(SUBMIT, {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "done", response.json()
    return response.json()


@pytest.fixture
def sharers(partner, other_partner, people, settings, tmp_path):
    """Kestrel (partner) and Atlas (other_partner) both share under agreements allowing attribution."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    make_agreement(other_partner)
    banker = UserFactory(username="banker", organisation=other_partner, role="partner_contributor")
    return people["partner_contributor"], banker


def observable(value: str) -> Observable:
    return Observable.objects.get(value=value)
