"""The demo's notifications and webhook, loaded last (``accord demo`` runs each app's ``load()``
in ``INSTALLED_APPS`` order; notifications sit low, and what they tell of is made by the apps
above): what partners are told of their data's correlations (through the policy, as after a
real ingest), agreements ending soon, and Kestrel's SIEM webhook to a receiver on this machine
(new objects and withdrawals among its events), turned off until one listens, with the log of
what it received before."""

from __future__ import annotations

from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from accord.analysis.notices import correlations_tell
from accord.core.models import User
from accord.notifications.choices import DeliveryStatus
from accord.notifications.events import OBJECT_VISIBLE, OBJECT_WITHDRAWN
from accord.notifications.models import Webhook, WebhookDelivery
from accord.notifications.services import notify, webhook_create, webhook_update
from accord.partners.services.lifecycle import agreements_warn_expiring
from accord.sharing.models import Submission

__all__ = ["load"]

DEMO_HOOK = "kestrel-siem"


def load() -> list[object]:
    contributor = User.objects.filter(username="contributor").first()
    if contributor is None or Webhook.objects.filter(name=DEMO_HOOK).exists():
        return []
    for submission in Submission.objects.filter(status="done").order_by("pk"):
        correlations_tell(submission_id=submission.pk)
    agreements_warn_expiring(timezone.now())
    notify(
        "campaign.grew",
        organisation=contributor.organisation,
        link="/analysis/",
        context={
            "title": "A campaign holding your data grew: 4 objects from 2 other organisations",
            "text": "Objects your organisation shared belong to a campaign that grew today; see the analysis pages.",
        },
    )
    with override_settings(ACCORD_WEBHOOK_ALLOW_LOOPBACK=True):
        webhook, _ = webhook_create(
            actor=contributor,
            name=DEMO_HOOK,
            url="http://127.0.0.1:9999/accord-events",
            event_types=[OBJECT_VISIBLE, OBJECT_WITHDRAWN, "submission.finished", "agreement.expiring"],
            tlps=["clear", "green", "amber"],
        )
    now = timezone.now()
    for hours, event, count, status, latency, answer in (
        (30, "webhook.test", 0, 204, 41, ""),
        (29, OBJECT_VISIBLE, 36, 200, 212, '{"accepted": 36}'),
        (5, OBJECT_VISIBLE, 12, 200, 97, '{"accepted": 12}'),
        (3, OBJECT_WITHDRAWN, 2, 200, 64, '{"removed": 2}'),
    ):
        WebhookDelivery.objects.create(
            webhook=webhook,
            event_type=event,
            status=DeliveryStatus.DELIVERED,
            attempts=1,
            created_at=now - timedelta(hours=hours),
            last_attempt_at=now - timedelta(hours=hours),
            delivered_at=now - timedelta(hours=hours),
            response_status=status,
            latency_ms=latency,
            response_excerpt=answer,
            object_count=count,
        )
    webhook_update(actor=contributor, webhook=webhook, enabled=False)
    Webhook.objects.filter(pk=webhook.pk).update(
        disabled_reason=(
            "Demo: turn it on once a receiver listens on 127.0.0.1:9999 (with ACCORD_WEBHOOK_ALLOW_LOOPBACK=1)."
        )
    )
    return []
