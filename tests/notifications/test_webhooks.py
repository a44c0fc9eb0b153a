"""Webhooks against a real HTTP receiver on 127.0.0.1: signed deliveries of what the TAXII read
gives the organisation, retries with back-off, turning off after repeated failures, the API."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import timedelta
from typing import Any

import orjson
import pytest
from django.core import mail
from django.utils import timezone

from accord.formats.markings import TLP2_IDS
from accord.notifications.models import Notification, Webhook, WebhookDelivery
from accord.notifications.services import webhooks_deliver_due, webhooks_scan
from tests.notifications.conftest import share
from tests.stix_samples import indicator

HOOKS = "/api/v1/webhooks/"


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The receiver's check, as docs/notifications.md gives it."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    stamp = int(parts["t"])
    if abs(time.time() - stamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def marked(n: int, tlp: str) -> dict[str, Any]:
    return indicator(n, f"[ipv4-addr:value = '198.51.100.{n}']", object_marking_refs=[TLP2_IDS[tlp]])


def create_hook(client: Any, url: str, **fields: Any) -> dict[str, Any]:
    response = client.post(
        HOOKS, {"name": "siem", "url": url, "event_types": ["object.visible"], **fields}, format="json"
    )
    assert response.status_code == 201, response.json()
    return dict(response.json())


def test_a_green_object_shared_by_another_partner_arrives_signed_and_amber_strict_or_red_never(
    api_for, partners, receiver, django_capture_on_commit_callbacks
):
    hook = create_hook(api_for(partners["kestrel"]), receiver.url)
    assert len(hook["secret"]) > 30
    with django_capture_on_commit_callbacks(execute=True):
        shared = share(
            api_for(partners["bank"]),
            marked(1, "green"),
            marked(2, "amber+strict"),
            marked(3, "red"),
            marked(4, "clear"),
        )
    assert shared["status"] == "done" and shared["new_count"] == 4
    visible = [r for r in receiver.received if r.headers["x-accord-event"] == "object.visible"]
    assert len(visible) == 1
    got = visible[0]
    assert verify(hook["secret"], got.headers["x-accord-signature"], got.body)
    assert not verify("another secret", got.headers["x-accord-signature"], got.body)
    assert not verify(hook["secret"], got.headers["x-accord-signature"], got.body + b" ")
    event = orjson.loads(got.body)
    assert event["type"] == "object.visible" and event["id"] == got.headers["x-accord-delivery"]
    objects = event["data"]["bundle"]["objects"]
    ids = {o["id"][-2:] for o in objects if o["type"] == "indicator"}
    assert ids == {"01", "04"}  # GREEN and CLEAR; never AMBER+STRICT, never RED
    green = next(o for o in objects if o["id"].endswith("01"))
    assert TLP2_IDS["green"] in green["object_marking_refs"]
    # exactly as the TAXII read gives Kestrel: the same object, byte for byte in content
    taxii = api_for(partners["kestrel"], scopes=("read", "taxii"))
    served = taxii.get(
        "/taxii2/api/collections/shared/objects/", HTTP_ACCEPT="application/taxii+json;version=2.1"
    ).json()
    assert next(o for o in served["objects"] if o["id"] == green["id"]) == green
    delivery = WebhookDelivery.objects.get(event_id=event["id"])
    assert (delivery.status, delivery.response_status, delivery.object_count) == ("delivered", 200, 2)
    # nothing more to send: the position moved past them
    assert webhooks_scan() == 0


def test_an_organisations_own_objects_and_filtered_ones_are_not_pushed(
    api_for, partners, receiver, django_capture_on_commit_callbacks
):
    create_hook(api_for(partners["kestrel"]), receiver.url, tlps=["clear"], stix_types=["indicator"])
    with django_capture_on_commit_callbacks(execute=True):
        share(api_for(partners["kestrel"]), marked(5, "clear"))  # its own
        share(api_for(partners["bank"]), marked(6, "green"))  # not a TLP it wants
    assert not [r for r in receiver.received if r.headers["x-accord-event"] == "object.visible"]
    with django_capture_on_commit_callbacks(execute=True):
        share(api_for(partners["bank"]), marked(7, "clear"))
    (got,) = [r for r in receiver.received if r.headers["x-accord-event"] == "object.visible"]
    assert [o["id"][-2:] for o in orjson.loads(got.body)["data"]["bundle"]["objects"]] == ["07"]


def test_a_failing_receiver_gets_retries_with_back_off_then_the_hook_is_turned_off_and_its_organisation_told(
    api_for, partners, receiver, settings, django_capture_on_commit_callbacks
):
    settings.ACCORD_WEBHOOK_MAX_FAILURES = 3
    settings.ACCORD_WEBHOOK_RETRY_SECONDS = 60
    receiver.status = 500
    hook = create_hook(
        api_for(partners["kestrel"]), receiver.url, event_types=["object.visible", "submission.finished"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(partners["kestrel"]).post(f"{HOOKS}{hook['id']}/test/")
    assert response.status_code == 202
    delivery = WebhookDelivery.objects.get(event_type="webhook.test")
    assert (delivery.attempts, delivery.status, delivery.response_status) == (1, "pending", 500)
    assert delivery.response_excerpt == "receiver broke"
    first_retry = delivery.next_attempt_at
    now = timezone.now()
    assert webhooks_deliver_due(now=now) == 0  # its pause has not passed
    assert webhooks_deliver_due(now=first_retry + timedelta(seconds=1)) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at - (first_retry + timedelta(seconds=1)) == timedelta(seconds=120)  # doubled
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks_deliver_due(now=delivery.next_attempt_at) == 1
    assert len(receiver.received) == 3
    delivery.refresh_from_db()
    webhook = Webhook.objects.get(pk=hook["id"])
    assert (delivery.status, webhook.enabled, webhook.failures) == ("failed", False, 3)
    assert "3 failed attempts" in webhook.disabled_reason
    told = Notification.objects.get(event_type="webhook.disabled")
    assert told.recipient == partners["kestrel"] and "siem" in told.title
    assert [m.to for m in mail.outbox] == [[partners["kestrel"].email]]  # contributors: inbox and e-mail
    assert not Notification.objects.filter(event_type="webhook.disabled", recipient=partners["kestrel_reader"])
    # turned off: nothing more is tried, even when due
    assert webhooks_deliver_due(now=timezone.now() + timedelta(days=2)) == 0
    assert len(receiver.received) == 3
    # the log says what happened
    log = api_for(partners["kestrel"]).get(f"{HOOKS}{hook['id']}/deliveries/").json()
    assert log["results"][0]["status"] == "failed" and log["results"][0]["attempts"] == 3
    # turned on again, it works from where it stopped
    receiver.status = 204
    with django_capture_on_commit_callbacks(execute=True):
        on = api_for(partners["kestrel"]).patch(f"{HOOKS}{hook['id']}/", {"enabled": True}, format="json")
    assert on.status_code == 200 and on.json()["enabled"] and on.json()["failures"] == 0


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://10.0.0.5/hook", "private"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://[fd00::1]/hook", "private"),
        ("https://0.0.0.0/hook", "reserved"),
        ("http://93.184.216.34/hook", "plain http"),
        ("ftp://127.0.0.1/hook", "https://"),
        ("https://user:pw@127.0.0.1/hook", "credentials"),
        ("not a url", "https://"),
        ("https://bad_host.example/hook", "not a host name"),
        ("https://127.0.0.1:port/hook", "https://"),
    ],
)
def test_urls_that_reach_inside_are_refused_naming_the_field(api_for, partners, settings, url, problem):
    settings.ACCORD_WEBHOOK_ALLOW_LOOPBACK = True
    response = api_for(partners["kestrel"]).post(
        HOOKS, {"name": "x", "url": url, "event_types": ["webhook.test"]}, format="json"
    )
    assert response.status_code == 400
    assert problem in response.json()["error"]["message"] and "url" in response.json()["error"]["details"]
    assert not Webhook.objects.exists()


def test_loopback_only_where_the_setting_allows_it(api_for, partners, settings):
    settings.ACCORD_WEBHOOK_ALLOW_LOOPBACK = False
    client = api_for(partners["kestrel"])
    refused = client.post(
        HOOKS, {"name": "x", "url": "https://127.0.0.1/h", "event_types": ["webhook.test"]}, format="json"
    )
    assert refused.status_code == 400 and "loopback" in refused.json()["error"]["message"]
    named = client.post(
        HOOKS, {"name": "x", "url": "https://localhost/h", "event_types": ["webhook.test"]}, format="json"
    )
    assert named.status_code == 400 and "loopback" in named.json()["error"]["message"]
    unknown = client.post(HOOKS, {"name": "x", "url": "https://127.0.0.1/h", "event_types": ["nope"]}, format="json")
    assert unknown.status_code == 400
    # a name is resolved when events are sent, never while saving (saving never waits on DNS)
    saved = client.post(
        HOOKS, {"name": "x", "url": "https://siem.kestrel.example/h", "event_types": ["webhook.test"]}, format="json"
    )
    assert saved.status_code == 201


def test_webhooks_are_their_organisations_own(api_for, partners, receiver):
    hook = create_hook(api_for(partners["kestrel"]), receiver.url)
    bank = api_for(partners["bank"])
    assert bank.get(HOOKS).json()["count"] == 0
    assert bank.get(f"{HOOKS}{hook['id']}/").status_code == 404
    assert bank.get(f"{HOOKS}{hook['id']}/deliveries/").status_code == 404
    assert bank.delete(f"{HOOKS}{hook['id']}/").status_code == 404
    reader = api_for(partners["kestrel_reader"], scopes=("read",))
    assert reader.get(HOOKS).json()["count"] == 1
    assert "secret" not in reader.get(f"{HOOKS}{hook['id']}/").json()
    session = api_for("partner_reader")  # a reader's token holds no write scope: refused before the role
    assert (
        session.post(
            HOOKS, {"name": "y", "url": receiver.url, "event_types": ["webhook.test"]}, format="json"
        ).status_code
        == 403
    )
    admin = api_for("admin")
    assert admin.get(HOOKS).json()["count"] == 1
    changed = admin.patch(f"{HOOKS}{hook['id']}/", {"url": "https://127.0.0.2/"}, format="json")
    assert changed.status_code == 403
    assert admin.patch(f"{HOOKS}{hook['id']}/", {"enabled": False}, format="json").json()["enabled"] is False
    own = api_for(partners["kestrel"])
    assert own.delete(f"{HOOKS}{hook['id']}/").status_code == 204
    assert not Webhook.objects.exists()


def test_organisation_events_reach_subscribed_hooks_signed(
    api_for, partners, receiver, django_capture_on_commit_callbacks
):
    hook = create_hook(api_for(partners["kestrel"]), receiver.url, event_types=["submission.finished"])
    with django_capture_on_commit_callbacks(execute=True):
        share(api_for(partners["kestrel"]), marked(8, "green"), name="kestrel.json")
    (got,) = receiver.received
    assert verify(hook["secret"], got.headers["x-accord-signature"], got.body)
    event = orjson.loads(got.body)
    assert event["type"] == "submission.finished"
    assert event["data"]["new_count"] == 1 and "kestrel.json" in event["title"]
