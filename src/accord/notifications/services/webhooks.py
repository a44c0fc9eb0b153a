"""Webhooks: an organisation's endpoints, told of the events they chose by signed JSON POSTs.

This module manages them (create, change, remove), checks where they may point and signs what
is sent; :mod:`accord.notifications.services.deliveries` queues and sends the deliveries. The
body is signed with HMAC-SHA256 over ``<timestamp>.<body>`` (``X-Accord-Signature:
t=<unix>,v1=<hex>``), so a receiver can refuse forgeries and replays (docs/notifications.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
import secrets
import socket
from collections.abc import Iterable
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accord.core import guards
from accord.core.audit import audit_record
from accord.core.choices import Tlp
from accord.core.errors import Forbidden
from accord.core.models import User
from accord.core.roles import Perm, has_perm
from accord.notifications.choices import DeliveryStatus
from accord.notifications.events import webhook_event_types
from accord.notifications.models import Webhook

__all__ = [
    "EXCERPT",
    "SIGNATURE_HEADER",
    "sign",
    "url_problem",
    "webhook_create",
    "webhook_delete",
    "webhook_secret",
    "webhook_update",
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


def _enqueue_due(webhook: Webhook) -> None:
    for pk in webhook.deliveries.filter(status=DeliveryStatus.PENDING).values_list("pk", flat=True):
        transaction.on_commit(partial(_task_enqueue, pk), robust=True)


def _task_enqueue(pk: int) -> None:
    from accord.notifications.tasks import deliver_webhook

    deliver_webhook.enqueue(pk)
