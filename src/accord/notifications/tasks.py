"""Background jobs of notifications: webhook deliveries, never inside the change that caused them."""

from __future__ import annotations

from django_tasks import task

from accord.notifications.services import webhook_attempt, webhooks_scan

__all__ = ["deliver_webhook", "webhooks_after_change", "webhooks_after_ingest"]


@task()
def deliver_webhook(delivery_id: int) -> str:
    """Try one queued delivery (idempotent: one delivered, or not due, is left as it is)."""
    delivery = webhook_attempt(delivery_id=delivery_id)
    return delivery.status if delivery is not None else "not due"


@task()
def webhooks_after_ingest(submission_id: int) -> int:
    """After an ingest commits (``ACCORD_AFTER_INGEST``): queue what became visible to webhooks."""
    return webhooks_scan()


@task()
def webhooks_after_change(change_id: int) -> int:
    """After a change of who may receive what is published (an agreement suspended, an object
    revoked …): queue the withdrawals and late arrivals it brings to webhooks."""
    return webhooks_scan()
