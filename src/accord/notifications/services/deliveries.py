"""Webhook deliveries: queued when the event commits and sent by the background worker (never
inside the change that caused them, never inside an ingest); a failed attempt is tried again
after an exponentially growing pause, and a webhook failing ``ACCORD_WEBHOOK_MAX_FAILURES``
attempts in a row is turned off and its organisation's contributors told.

Two kinds of delivery are read when they are sent, from a position the webhook keeps:
``object.visible`` (the objects newly visible to its organisation, as its TAXII read gives them)
and ``object.withdrawn`` (the versions withdrawn from its organisation's view, as its TAXII
``withdrawn/`` read lists them). Both reads are ports the TAXII app fills
(:mod:`accord.notifications.objects`), so the policy decides in one place.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accord.core.audit import audit_record
from accord.core.choices import Role
from accord.core.errors import ValidationFailed
from accord.core.models import User
from accord.notifications.choices import DeliveryStatus
from accord.notifications.events import OBJECT_VISIBLE, OBJECT_WITHDRAWN
from accord.notifications.models import Webhook, WebhookDelivery
from accord.notifications.objects import ObjectPage, ObjectSource, object_source, withdrawal_source
from accord.notifications.services.webhooks import (
    EXCERPT,
    SIGNATURE_HEADER,
    _manage,
    sign,
    url_problem,
    webhook_secret,
)

__all__ = [
    "webhook_attempt",
    "webhook_test",
    "webhooks_deliver_due",
    "webhooks_queue_event",
    "webhooks_scan",
]


def _payload(event: str, title: str, link: str, data: dict[str, Any], organisation: str) -> dict[str, Any]:
    return {
        "type": event,
        "created": timezone.now().isoformat().replace("+00:00", "Z"),
        "organisation": organisation,
        "title": title,
        "link": f"{settings.ACCORD_BASE_URL}{link}" if link else "",
        "data": data,
    }


def _queue(delivery: WebhookDelivery) -> None:
    def enqueue() -> None:
        from accord.notifications.tasks import deliver_webhook

        deliver_webhook.enqueue(delivery.pk)

    transaction.on_commit(enqueue, robust=True)


@transaction.atomic
def webhook_test(*, actor: User, webhook: Webhook) -> WebhookDelivery:
    """Queue a ``webhook.test`` event to the webhook (sent even when it did not subscribe to it)."""
    _manage(actor, webhook)
    if not webhook.enabled:
        raise ValidationFailed(f"The webhook {webhook.name} is turned off; turn it on to send it events.")
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        event_type="webhook.test",
        payload=_payload(
            "webhook.test",
            f"Test event for {webhook.name}",
            "",
            {"requested_by": actor.username},
            webhook.organisation.name,
        ),
    )
    _queue(delivery)
    return delivery


def webhooks_queue_event(
    *, event: str, organisation_ids: Iterable[int], title: str, link: str, data: dict[str, Any]
) -> list[WebhookDelivery]:
    """One delivery per enabled webhook of these organisations subscribed to ``event``, sent
    once the caller's transaction commits."""
    ids = [pk for pk in organisation_ids if pk]
    if not ids:
        return []
    created = []
    for webhook in Webhook.objects.filter(organisation_id__in=ids, enabled=True).select_related("organisation"):
        if event not in webhook.event_types:
            continue
        delivery = WebhookDelivery.objects.create(
            webhook=webhook, event_type=event, payload=_payload(event, title, link, data, webhook.organisation.name)
        )
        _queue(delivery)
        created.append(delivery)
    return created


def _backoff(attempts: int) -> timedelta:
    """The pause after the ``attempts``-th failed attempt: the base, doubled each time, at most a day."""
    return timedelta(seconds=min(settings.ACCORD_WEBHOOK_RETRY_SECONDS * 2 ** max(attempts - 1, 0), 86400))


@dataclass(frozen=True)
class _Stream:
    """An event read when sent, from a position the webhook keeps: its read and position fields."""

    source: Callable[[], ObjectSource]
    at: str
    pk: str

    def position(self, webhook: Webhook) -> tuple[datetime, int]:
        return getattr(webhook, self.at), getattr(webhook, self.pk)

    def read(self, webhook: Webhook, limit: int, now: datetime) -> ObjectPage:
        return self.source()(webhook, self.position(webhook), limit, now)


_STREAMS = {
    OBJECT_VISIBLE: _Stream(object_source, "cursor_at", "cursor_pk"),
    OBJECT_WITHDRAWN: _Stream(withdrawal_source, "withdrawn_cursor_at", "withdrawn_cursor_pk"),
}


def _body(delivery: WebhookDelivery, page: ObjectPage | None) -> bytes:
    envelope = {"id": str(delivery.event_id), **(delivery.payload or {})}
    if page is None:
        return orjson.dumps(envelope)
    organisation = delivery.webhook.organisation.name
    if delivery.event_type == OBJECT_WITHDRAWN:
        title = f"{len(page.objects)} object version(s) withdrawn from {organisation}'s view"
        data: dict[str, Any] = {"withdrawn": []}
        tail = b"]}}"
    else:
        title = f"{len(page.objects)} object(s) newly visible to {organisation}"
        data = {"bundle": {"type": "bundle", "id": f"bundle--{delivery.event_id}", "objects": []}}
        tail = b"]}}}"
    envelope |= {
        "type": delivery.event_type,
        "created": timezone.now().isoformat().replace("+00:00", "Z"),
        "organisation": organisation,
        "title": title,
        "link": "",
        "data": data,
    }
    head = orjson.dumps(envelope)
    # The entries are JSON as the TAXII read gave them: spliced in, not decoded and encoded again.
    return head[: -len(b"[" + tail)] + b"[" + b",".join(page.objects) + tail


def _post(webhook: Webhook, delivery: WebhookDelivery, body: bytes) -> tuple[int | None, int, str, str]:
    """Send one attempt: (status, latency in ms, answer excerpt, error)."""
    problem = url_problem(webhook.url)  # again at each attempt: the name may resolve elsewhere now
    if problem:
        return None, 0, "", problem
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Accord-Webhooks/1",
        "X-Accord-Event": delivery.event_type,
        "X-Accord-Delivery": str(delivery.event_id),
        SIGNATURE_HEADER: sign(webhook_secret(webhook), stamp, body),
    }
    began = time.monotonic()
    try:
        with requests.post(
            webhook.url,
            data=body,
            headers=headers,
            timeout=settings.ACCORD_WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,
        ) as answer:
            excerpt = answer.raw.read(EXCERPT, decode_content=True).decode("utf-8", "replace")
            return answer.status_code, int((time.monotonic() - began) * 1000), excerpt, ""
    except requests.RequestException as exc:
        return None, int((time.monotonic() - began) * 1000), "", f"{type(exc).__name__}: {exc}"[:EXCERPT]


def webhook_attempt(*, delivery_id: int, now: datetime | None = None) -> WebhookDelivery | None:
    """Try one due delivery once (``None`` when it is not due, done, or its webhook is off).

    It is claimed by one conditional update, so two workers never send it at once; the request
    is made outside any transaction. ``object.visible`` and ``object.withdrawn`` bodies are read
    when sent, from the webhook's position on, through the TAXII read as it stands then."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=settings.ACCORD_WEBHOOK_TIMEOUT_SECONDS + 60)
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now, webhook__enabled=True
    ).update(next_attempt_at=lease, attempts=F("attempts") + 1, last_attempt_at=now)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("webhook", "webhook__organisation").get(pk=delivery_id)
    webhook = delivery.webhook
    page = None
    stream = _STREAMS.get(delivery.event_type)
    if stream is not None:
        page = stream.read(webhook, settings.ACCORD_WEBHOOK_BATCH, now)
        if not page.objects:
            _record(delivery, page, status=None, latency=0, excerpt="", error="", now=now, skipped=True)
            return delivery
    status, latency, excerpt, error = _post(webhook, delivery, _body(delivery, page))
    _record(delivery, page, status=status, latency=latency, excerpt=excerpt, error=error, now=now)
    return delivery


@transaction.atomic
def _record(
    delivery: WebhookDelivery,
    page: ObjectPage | None,
    *,
    status: int | None,
    latency: int,
    excerpt: str,
    error: str,
    now: datetime,
    skipped: bool = False,
) -> None:
    webhook = Webhook.objects.select_for_update().select_related("organisation").get(pk=delivery.webhook_id)
    delivery.webhook = webhook
    delivery.response_status, delivery.latency_ms = status, latency
    delivery.response_excerpt, delivery.error = excerpt[:EXCERPT], error[:EXCERPT]
    ok = skipped or (status is not None and 200 <= status < 300)
    if ok:
        delivery.status = DeliveryStatus.SKIPPED if skipped else DeliveryStatus.DELIVERED
        delivery.delivered_at = None if skipped else now
        delivery.object_count = len(page.objects) if page is not None else 0
        if not skipped:
            webhook.failures = 0
        fields = ["failures"]
        stream = _STREAMS.get(delivery.event_type)
        if stream is not None and page is not None and page.last is not None:
            setattr(webhook, stream.at, page.last[0])
            setattr(webhook, stream.pk, page.last[1])
            fields += [stream.at, stream.pk]
        webhook.save(update_fields=fields)
        if page is not None and page.more:
            _queue(WebhookDelivery.objects.create(webhook=webhook, event_type=delivery.event_type))
    else:
        if not delivery.error:
            delivery.error = f"answered {status}" if status is not None else "no answer"
        webhook.failures += 1
        if webhook.failures >= settings.ACCORD_WEBHOOK_MAX_FAILURES:
            _disable(webhook, delivery)
        if not webhook.enabled or delivery.attempts >= settings.ACCORD_WEBHOOK_MAX_FAILURES:
            delivery.status = DeliveryStatus.FAILED
        else:
            delivery.next_attempt_at = now + _backoff(delivery.attempts)
        webhook.save(update_fields=["failures", "enabled", "disabled_reason"])
    delivery.save()


def _disable(webhook: Webhook, delivery: WebhookDelivery) -> None:
    from accord.notifications.services.notify import notify

    webhook.enabled = False
    webhook.disabled_reason = (
        f"Turned off after {webhook.failures} failed attempts in a row (the last: {delivery.error})."
    )[:500]
    audit_record(
        actor=None,
        action="webhook.disabled",
        obj=webhook,
        organisation=webhook.organisation,
        details={"failures": webhook.failures, "last_error": delivery.error},
    )
    notify(
        "webhook.disabled",
        organisation=webhook.organisation,
        roles=[Role.PARTNER_CONTRIBUTOR, Role.ADMIN, Role.PROGRAMME_MANAGER, Role.ANALYST],
        subject=webhook,
        link="/notifications/webhooks/",
        context={
            "title": f"Webhook {webhook.name} was turned off",
            "text": (
                f"Accord could not deliver events to {webhook.url}: {webhook.failures} attempts in a row failed "
                f"(the last: {delivery.error}). Nothing more is sent to it until someone turns it on again; "
                "what waited is sent then."
            ),
        },
    )


def webhooks_deliver_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """The worker's round job (``ACCORD_ROUND_JOBS``): try every pending delivery that is due
    (a retry whose pause has passed, or a first attempt whose task was lost). Returns the tries."""
    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now, webhook__enabled=True)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in due if webhook_attempt(delivery_id=pk, now=now) is not None)


def webhooks_scan(*, now: datetime | None = None) -> int:
    """Queue an ``object.visible`` delivery for each enabled webhook that takes them, has none
    waiting, and has objects visible to its organisation past its position (new ones, and late
    arrivals when an agreement changes); likewise an ``object.withdrawn`` delivery for one that
    takes those and has withdrawals from its organisation's view past its own position. Cheap:
    one TAXII read of one row per webhook and event type. Run by the worker each round, after
    each ingest commits (never inside it) and after each change of who may receive what is
    published (``visibility_published``). Returns those queued."""
    now = now or timezone.now()
    hooks = Webhook.objects.filter(enabled=True)
    queued = 0
    for pk in hooks.order_by("pk").values_list("pk", flat=True):
        for event, stream in _STREAMS.items():
            with transaction.atomic():
                webhook = Webhook.objects.select_for_update().filter(pk=pk, enabled=True).first()
                if webhook is None or event not in webhook.event_types:
                    continue
                if webhook.deliveries.filter(status=DeliveryStatus.PENDING, event_type=event).exists():
                    continue
                if stream.read(webhook, 1, now).last is None:
                    continue
                _queue(WebhookDelivery.objects.create(webhook=webhook, event_type=event))
                queued += 1
    return queued
