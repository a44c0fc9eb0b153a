"""The only code that changes notifications: telling people (``notify``) and webhooks."""

from accord.notifications.services.deliveries import (
    webhook_attempt,
    webhook_test,
    webhooks_deliver_due,
    webhooks_queue_event,
    webhooks_scan,
)
from accord.notifications.services.notify import (
    GENERIC_TEMPLATE,
    channel_for,
    digest_for,
    notification_read,
    notifications_digest_daily,
    notifications_read_all,
    notify,
    preferences_set,
)
from accord.notifications.services.webhooks import (
    SIGNATURE_HEADER,
    sign,
    url_problem,
    webhook_create,
    webhook_delete,
    webhook_secret,
    webhook_update,
)

__all__ = [
    "GENERIC_TEMPLATE",
    "SIGNATURE_HEADER",
    "channel_for",
    "digest_for",
    "notification_read",
    "notifications_digest_daily",
    "notifications_read_all",
    "notify",
    "preferences_set",
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
