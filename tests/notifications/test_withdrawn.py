"""``object.withdrawn`` webhooks against a real HTTP receiver on 127.0.0.1: an organisation's
hook is told, signed, of the versions withdrawn from its view once the change is published,
exactly what its TAXII ``withdrawn/`` read lists, and never of anything it could not receive."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from accord.notifications.models import Webhook, WebhookDelivery
from accord.notifications.services import webhooks_scan
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.notifications.conftest import share
from tests.notifications.test_webhooks import create_hook, marked, verify

pytestmark = pytest.mark.django_db(transaction=True)

TAXII = "application/taxii+json;version=2.1"


@pytest.fixture
def university(partners: Any) -> Any:
    """A third partner under an agreement up to AMBER+STRICT, with a contributor."""
    uni = OrganisationFactory(name="Northgate University", country="FR", kind="academia", sector="")
    make_agreement(uni, tlp_ceiling="red")
    return UserFactory(organisation=uni, role="partner_contributor", username="scholar")


def withdrawn_events(receiver: Any, path: str, secret: str) -> list[dict[str, Any]]:
    """What the hook at ``path`` received of withdrawals, each checked signed with its secret."""
    found = [
        r for r in receiver.received if r.path.endswith(path) and r.headers["x-accord-event"] == "object.withdrawn"
    ]
    for got in found:
        assert verify(secret, got.headers["x-accord-signature"], got.body)
    return [orjson.loads(got.body) for got in found]


def ids(events: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(e["id"], e["version"]) for event in events for e in event["data"]["withdrawn"]}


def taxii_withdrawn(api_for: Any, user: Any) -> set[tuple[str, str]]:
    answer = api_for(user, scopes=("read", "taxii")).get("/taxii2/api/collections/shared/withdrawn/", HTTP_ACCEPT=TAXII)
    assert answer.status_code == 200, answer.content
    return {(w["id"], w["version"]) for w in answer.json().get("withdrawn", [])}


def test_a_suspended_agreement_tells_that_partners_hook_alone_what_it_lost(api_for, partners, university, receiver):
    bank_hook = create_hook(api_for(partners["bank"]), f"{receiver.url}/bank", event_types=["object.withdrawn"])
    create_hook(api_for(university), f"{receiver.url}/uni", event_types=["object.withdrawn"])
    green, public = marked(1, "green"), marked(2, "clear")
    share(api_for(partners["kestrel"]), green, public)
    assert not receiver.received  # shared, nothing withdrawn

    agreement = partners["bank"].organisation.agreements.get(kind="data_sharing")
    suspended = api_for("programme_manager").post(
        f"/api/v1/agreements/{agreement.pk}/suspend/", {"reason": "Audit finding"}, format="json"
    )
    assert suspended.status_code == 200, suspended.json()

    to_bank = [r for r in receiver.received if r.path.endswith("/bank")]
    events = withdrawn_events(receiver, "/bank", bank_hook["secret"])
    assert len(events) == 1 and len(to_bank) == 1
    event = events[0]
    assert event["type"] == "object.withdrawn" and event["organisation"] == "Atlas Bank Group"
    # GREEN left its view; CLEAR it still receives, suspended or not
    assert {stix_id for stix_id, _ in ids(events)} == {green["id"]}
    assert ids(events) == taxii_withdrawn(api_for, partners["bank"])  # the same ids and versions
    entry = event["data"]["withdrawn"][0]
    assert set(entry) == {"id", "version", "date_withdrawn"}
    # the other partner lost nothing and heard nothing
    assert not [r for r in receiver.received if r.path.endswith("/uni")]
    assert taxii_withdrawn(api_for, university) == set()
    # its position moved past what it was told: nothing is sent twice
    assert webhooks_scan() == 0
    delivery = WebhookDelivery.objects.get(event_id=event["id"])
    assert (delivery.status, delivery.object_count) == ("delivered", 1)
    hook = Webhook.objects.get(pk=bank_hook["id"])
    assert hook.withdrawn_cursor_pk > 0


def test_a_revocation_reaches_the_hooks_of_those_who_had_it_and_never_of_what_they_could_not_receive(
    api_for, partners, university, receiver
):
    bank_hook = create_hook(
        api_for(partners["bank"]), f"{receiver.url}/bank", event_types=["object.withdrawn", "object.visible"]
    )
    uni_hook = create_hook(api_for(university), f"{receiver.url}/uni", event_types=["object.withdrawn"])
    green, strict = marked(3, "green"), marked(4, "amber+strict")
    kestrel = api_for(partners["kestrel"])
    share(kestrel, green, strict)
    receiver.received.clear()

    for obj in (green, strict):
        revoked = kestrel.post(f"/api/v1/objects/{obj['id']}/revoke/", {"reason": "sent in error"}, format="json")
        assert revoked.status_code == 200, revoked.json()

    for user, hook, path in ((partners["bank"], bank_hook, "/bank"), (university, uni_hook, "/uni")):
        events = withdrawn_events(receiver, path, hook["secret"])
        # GREEN each had; AMBER+STRICT neither could ever receive, so neither is told of it
        assert {stix_id for stix_id, _ in ids(events)} == {green["id"]}
        assert ids(events) == taxii_withdrawn(api_for, user)
        assert strict["id"] not in b"".join(r.body for r in receiver.received if r.path.endswith(path)).decode()
    # the originator's own hook is not subscribed, and the bank's object.visible stream was not disturbed
    assert not [r for r in receiver.received if r.headers["x-accord-event"] == "object.visible"]
