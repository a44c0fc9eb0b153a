"""Shared data of the analysis tests: two partners sharing STIX bundles through the API."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from accord.analysis.models import Campaign
from accord.formats.markings import TLP2_IDS
from accord.sharing.models import Observable, StixObject
from accord.sharing.services import object_address, object_restore, object_revoke
from tests.factories import UserFactory, make_agreement
from tests.stix_samples import bundle, indicator

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


def waits_for_a_lock(outcome: dict[str, Any], timeout: float = 60.0) -> bool:
    """Whether the PostgreSQL session whose backend id a thread puts in ``outcome["pid"]`` comes to
    wait for a lock within ``timeout`` seconds (another connection's transaction, stopped midway,
    holding what it needs)."""
    deadline = time.monotonic() + timeout
    while "pid" not in outcome and time.monotonic() < deadline:
        time.sleep(0.01)
    with connection.cursor() as cursor:
        while "pid" in outcome and time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted", [outcome["pid"]])
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


@pytest.fixture
def sharers(partner, other_partner, people, settings, tmp_path):
    """Kestrel (partner) and Atlas (other_partner) both share under agreements allowing attribution."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    make_agreement(other_partner)
    banker = UserFactory(username="banker", organisation=other_partner, role="partner_contributor")
    return people["partner_contributor"], banker


def change_shared(world: dict[str, Any], step: str, k: int) -> None:
    """A change to the ``k``-th object shared (``world["shared"]``: (stix id, sharer index)) by its
    sharer: "revoke", "restore", "address" (to one of ``world["addressees"]``), "name" (a
    TLP:RED object naming one of ``world["readers"]``: no interface names them yet, as the policy
    tests do) or "expire" (its retention ended, time passing, not purged yet)."""
    shared = world["shared"]
    if not shared:
        return
    stix_id, sharer = shared[k % len(shared)]
    actor = world["sharers"][sharer]
    versions = StixObject.objects.filter(stix_id=stix_id)
    if not versions.exists():  # purged
        return
    if step == "revoke":
        object_revoke(actor=actor, stix_id=stix_id)
    elif step == "restore":
        object_restore(actor=actor, stix_id=stix_id, reason="shared again")
    elif step == "address":
        addressee = world["addressees"][k % len(world["addressees"])]
        if addressee.pk != actor.organisation_id:
            object_address(actor=actor, stix_id=stix_id, organisations=[addressee])
    elif step == "name":
        for obj in versions:
            obj.recipients.add(world["readers"][k % len(world["readers"])])
    else:
        versions.update(expires_at=timezone.now() - timedelta(days=1))


def observable(value: str) -> Observable:
    return Observable.objects.get(value=value)


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
