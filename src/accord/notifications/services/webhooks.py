"""Webhooks: an organisation's endpoints, told of the events they chose by signed JSON POSTs.

Deliveries are rows, queued when the event commits and sent by the background worker (never
inside the change that caused them, never inside an ingest); a failed attempt is tried again
after an exponentially growing pause, and a webhook failing ``ACCORD_WEBHOOK_MAX_FAILURES``
attempts in a row is turned off and its organisation's contributors told. The body is signed
with HMAC-SHA256 over ``<timestamp>.<body>`` (``X-Accord-Signature: t=<unix>,v1=<hex>``), so a
receiver can refuse forgeries and replays (docs/notifications.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
import secrets
import socket
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accord.core import guards
from accord.core.audit import audit_record
from accord.core.choices import Role, Tlp
from accord.core.errors import Forbidden, ValidationFailed
from accord.core.models import User
from accord.core.roles import Perm, has_perm
from accord.notifications.choices import DeliveryStatus
from accord.notifications.events import OBJECT_VISIBLE, webhook_event_types
from accord.notifications.models import Webhook, WebhookDelivery
from accord.notifications.objects import ObjectPage, object_source

__all__ = [
    "SIGNATURE_HEADER",
    "sign",
    "url_problem",
    "webhook_attempt",
    "webhook_create",
    "webhook_delete",
    "webhook_secret",
    "webhook_test",
    "webhook_update",
    "webhooks_deliver_due",
    "webhooks_queue_event",
    "webhooks_scan",
]

SIGNATURE_HEADER = "X-Accord-Signature"
EXCERPT = 500
_STIX_TYPE = re.compile(r"^[a-z0-9][a-z0-9-]{0,249}$")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: ``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"accord webhook secrets\x00" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def webhook_secret(webhook: Webhook) -> str:
    """The signing secret in clear, for signing only."""
    try:
        return _fernet().decrypt(webhook.secret_sealed.encode()).decode()
    except InvalidToken:
        return ""


_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_LOOPBACK_NAMES = ("localhost", "localhost.localdomain")


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _addresses(host: str, resolve: bool) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    literal = _literal(host)
    if literal is not None:
        return [literal]
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return [ipaddress.ip_address("127.0.0.1")]
    if not resolve:
        return []
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]


def url_problem(url: str, *, resolve: bool = True) -> str:
    """What makes ``url`` no place to send events, else ``""``: HTTPS only (plain HTTP only to
    the loopback interface), and never an address inside a private network, link-local (cloud
    metadata), multicast or reserved, so that a webhook cannot reach the platform's own
    neighbours. Loopback itself only where ``ACCORD_WEBHOOK_ALLOW_LOOPBACK`` allows it.

    A name is resolved at each attempt (``resolve``); when a webhook is saved only its form is
    checked, so that saving never waits on DNS (and tests never reach the network)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - a port that is no number raises here
    except ValueError:
        return "expected an https:// URL"
    if parts.scheme not in ("https", "http") or not host:
        return "expected an https:// URL"
    if parts.username or parts.password:
        return "put no credentials in the URL; the signature authenticates the platform"
    if _literal(host) is None and not all(_LABEL.match(label) for label in host.rstrip(".").split(".")):
        return f"{host} is not a host name"
    addresses = _addresses(host, resolve)
    if not addresses:
        if not resolve:
            return "" if parts.scheme == "https" else "plain http:// is only for the loopback interface; use https://"
        return f"the host {host} cannot be resolved"
    hostname = host
    for address in addresses:
        if address.is_loopback:
            if not settings.ACCORD_WEBHOOK_ALLOW_LOOPBACK:
                return f"{hostname} is this machine (loopback), which webhooks may not reach here"
        elif (
            address.is_private
            or address.is_link_local
            or address.is_multicast
            or address.is_reserved
            or address.is_unspecified
        ):
            return f"{hostname} is a private, link-local or reserved address ({address}), which webhooks may not reach"
    if parts.scheme == "http" and not all(a.is_loopback for a in addresses):
        return "plain http:// is only for the loopback interface; use https://"
    return ""


def _manage(actor: User, webhook: Webhook | None = None) -> None:
    """Contributors manage their own organisation's webhooks; administrators may turn any off or on."""
    if webhook is not None and has_perm(actor, Perm.PLATFORM_ADMIN):
        return
    guards.require(actor, Perm.SHARING_SUBMIT)
    if webhook is not None and webhook.organisation_id != actor.organisation_id:
        raise Forbidden("Webhooks are managed by their own organisation.")


def _clean(
    *,
    url: str | None,
    event_types: Iterable[str] | None,
    tlps: Iterable[str] | None,
    stix_types: Iterable[str] | None,
    crime_types: Iterable[str] | None,
) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if url is not None:
        url = guards.required_text("url", url)
        if len(url) > 1000:
            raise guards.invalid("url", "at most 1,000 characters.")
        problem = url_problem(url, resolve=False)
        if problem:
            raise guards.invalid("url", f"{url}: {problem}.", problem)
        fields["url"] = url
    if event_types is not None:
        known = {e.key for e in webhook_event_types()}
        chosen = sorted(set(event_types))
        if not chosen:
            raise guards.invalid("event_types", "choose at least one event type.", "Required.")
        if unknown := [e for e in chosen if e not in known]:
            raise guards.invalid(
                "event_types",
                f"{', '.join(unknown)} not an event type webhooks take; known: {', '.join(sorted(known))}.",
            )
        fields["event_types"] = chosen
    if tlps is not None:
        chosen = sorted(set(tlps), key=lambda t: Tlp.rank(t) if t in Tlp.values else -1)
        if unknown := [t for t in chosen if t not in Tlp.values]:
            raise guards.invalid("tlps", f"{', '.join(unknown)} not a TLP; known: {', '.join(Tlp.values)}.")
        fields["tlps"] = chosen
    if stix_types is not None:
        chosen = sorted({t.strip() for t in stix_types if t.strip()})
        if bad := [t for t in chosen if not _STIX_TYPE.match(t)]:
            raise guards.invalid("stix_types", f"{', '.join(bad)} not a STIX type name (indicator, ipv4-addr …).")
        fields["stix_types"] = chosen
    if crime_types is not None:
        chosen = sorted({t.strip() for t in crime_types if t.strip()})
        if bad := [t for t in chosen if len(t) > 64]:
            raise guards.invalid("crime_types", f"{bad[0][:70]}… is longer than a crime type (64 characters).")
        fields["crime_types"] = chosen
    return fields


@transaction.atomic
def webhook_create(
    *,
    actor: User,
    name: str,
    url: str,
    event_types: Iterable[str],
    tlps: Iterable[str] = (),
    stix_types: Iterable[str] = (),
    crime_types: Iterable[str] = (),
) -> tuple[Webhook, str]:
    """A webhook of the actor's organisation, reading shared data as the actor (what their TAXII
    client would receive), told of events from now on. Returns it and its signing secret,
    shown this once."""
    _manage(actor)
    name = guards.required_text("name", name)[:100]
    if Webhook.objects.filter(organisation_id=actor.organisation_id, name=name).exists():
        raise guards.invalid("name", f"your organisation has a webhook named {name} already.", "In use.")
    fields = _clean(url=url, event_types=event_types, tlps=tlps, stix_types=stix_types, crime_types=crime_types)
    secret = secrets.token_urlsafe(32)
    webhook = Webhook.objects.create(
        organisation_id=actor.organisation_id,
        created_by=actor,
        name=name,
        secret_sealed=_fernet().encrypt(secret.encode()).decode(),
        cursor_at=timezone.now(),
        **fields,
    )
    audit_record(
        actor=actor,
        action="webhook.create",
        obj=webhook,
        organisation=webhook.organisation,
        details={"name": name, "url": webhook.url, "event_types": webhook.event_types},
    )
    return webhook, secret


@transaction.atomic
def webhook_update(
    *,
    actor: User,
    webhook: Webhook,
    url: str | None = None,
    event_types: Iterable[str] | None = None,
    tlps: Iterable[str] | None = None,
    stix_types: Iterable[str] | None = None,
    crime_types: Iterable[str] | None = None,
    enabled: bool | None = None,
    rotate_secret: bool = False,
) -> tuple[Webhook, str]:
    """Change a webhook; turning it on again clears its failures and resumes what waited.
    ``rotate_secret``: a new signing secret, returned (else ``""``)."""
    _manage(actor, webhook)
    if has_perm(actor, Perm.PLATFORM_ADMIN) and webhook.organisation_id != actor.organisation_id:
        if any(v is not None for v in (url, event_types, tlps, stix_types, crime_types)) or rotate_secret:
            raise Forbidden("Administrators may turn another organisation's webhook off or on, not change it.")
    fields = _clean(url=url, event_types=event_types, tlps=tlps, stix_types=stix_types, crime_types=crime_types)
    for key, value in fields.items():
        setattr(webhook, key, value)
    secret = ""
    if rotate_secret:
        secret = secrets.token_urlsafe(32)
        webhook.secret_sealed = _fernet().encrypt(secret.encode()).decode()
    if enabled is not None and enabled != webhook.enabled:
        webhook.enabled = enabled
        if enabled:
            webhook.failures = 0
            webhook.disabled_reason = ""
            webhook.deliveries.filter(status=DeliveryStatus.PENDING).update(next_attempt_at=timezone.now())
        else:
            webhook.disabled_reason = f"Turned off by {actor.username}."
    webhook.save()
    audit_record(
        actor=actor,
        action="webhook.update",
        obj=webhook,
        organisation=webhook.organisation,
        details={**{k: v for k, v in fields.items()}, "enabled": webhook.enabled, "secret_rotated": rotate_secret},
    )
    if enabled:
        _enqueue_due(webhook)
    return webhook, secret


@transaction.atomic
def webhook_delete(*, actor: User, webhook: Webhook) -> None:
    """Remove a webhook and its delivery log."""
    _manage(actor, webhook)
    if webhook.organisation_id != actor.organisation_id:
        raise Forbidden("Webhooks are removed by their own organisation.")
    audit_record(
        actor=actor,
        action="webhook.delete",
        obj=webhook,
        organisation=webhook.organisation,
        details={"name": webhook.name, "url": webhook.url},
    )
    webhook.delete()


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


def _body(delivery: WebhookDelivery, page: ObjectPage | None) -> bytes:
    envelope = {"id": str(delivery.event_id), **(delivery.payload or {})}
    if page is None:
        return orjson.dumps(envelope)
    envelope |= {
        "type": OBJECT_VISIBLE,
        "created": timezone.now().isoformat().replace("+00:00", "Z"),
        "organisation": delivery.webhook.organisation.name,
        "title": f"{len(page.objects)} object(s) newly visible to {delivery.webhook.organisation.name}",
        "link": "",
        "data": {"bundle": {"type": "bundle", "id": f"bundle--{delivery.event_id}", "objects": []}},
    }
    head = orjson.dumps(envelope)
    # The objects are JSON as the TAXII read sent them: spliced in, not decoded and encoded again.
    return head[: -len(b"[]}}}")] + b"[" + b",".join(page.objects) + b"]}}}"


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
    is made outside any transaction. ``object.visible`` bodies are read when sent, from the
    webhook's position on, through the TAXII read as it stands then."""
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
    if delivery.event_type == OBJECT_VISIBLE:
        page = object_source()(webhook, (webhook.cursor_at, webhook.cursor_pk), settings.ACCORD_WEBHOOK_BATCH, now)
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
        if page is not None and page.last is not None:
            webhook.cursor_at, webhook.cursor_pk = page.last
        webhook.save(update_fields=["failures", "cursor_at", "cursor_pk"])
        if page is not None and page.more:
            _queue(WebhookDelivery.objects.create(webhook=webhook, event_type=OBJECT_VISIBLE))
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


def _enqueue_due(webhook: Webhook) -> None:
    for pk in webhook.deliveries.filter(status=DeliveryStatus.PENDING).values_list("pk", flat=True):
        transaction.on_commit(partial(_task_enqueue, pk), robust=True)


def _task_enqueue(pk: int) -> None:
    from accord.notifications.tasks import deliver_webhook

    deliver_webhook.enqueue(pk)


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
    arrivals when an agreement changes). Cheap: one TAXII read of one row per webhook. Run by
    the worker each round and after each ingest commits (never inside it). Returns those queued."""
    now = now or timezone.now()
    hooks = Webhook.objects.filter(enabled=True)
    queued = 0
    for pk in hooks.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            webhook = Webhook.objects.select_for_update().filter(pk=pk, enabled=True).first()
            if webhook is None or OBJECT_VISIBLE not in webhook.event_types:
                continue
            if webhook.deliveries.filter(status=DeliveryStatus.PENDING, event_type=OBJECT_VISIBLE).exists():
                continue
            page = object_source()(webhook, (webhook.cursor_at, webhook.cursor_pk), 1, now)
            if page.last is None:
                continue
            _queue(WebhookDelivery.objects.create(webhook=webhook, event_type=OBJECT_VISIBLE))
            queued += 1
    return queued
