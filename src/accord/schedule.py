"""The work `accord worker` does besides its queue: the jobs it runs once a day and every round,
and the tasks queued after each ingest (dotted paths; settings.py names them ACCORD_DAILY_JOBS,
ACCORD_ROUND_JOBS and ACCORD_AFTER_INGEST)."""

from __future__ import annotations

__all__ = ["AFTER_INGEST", "DAILY_JOBS", "ROUND_JOBS"]

# Jobs `accord worker` runs once a day (dotted paths of functions taking no arguments).
DAILY_JOBS = [
    "accord.partners.services.agreements_sweep",
    "accord.sharing.services.retention_purge",
    "accord.taxii.services.collections_sync",
    "accord.programme.services.secondments_daily",
    "accord.programme.services.training_reminders_daily",
    "accord.governance.services.recommendations_overdue_daily",
    "accord.core.checkpoints.audit_checkpoint_daily",
    "accord.core.ratelimit.rate_counters_prune",
    "accord.notifications.services.notifications_digest_daily",
]
# Jobs `accord worker` runs every round (each decides what is due: feeds by their interval).
ROUND_JOBS = [
    "accord.sharing.services.submissions_recover",
    "accord.sharing.services.visibility_publish",
    "accord.sharing.services.visibility_windows_pass",
    "accord.analysis.services.readers_keep_up",
    "accord.feeds.services.feeds_pull_due",
    "accord.notifications.services.webhooks_scan",
    "accord.notifications.services.webhooks_deliver_due",
    "accord.interception.services.interceptions_escalate",
]
# Tasks queued with a submission's id once its ingest has committed (dotted paths of tasks).
AFTER_INGEST = [
    "accord.enrichment.tasks.enrich_after_ingest",
    "accord.analysis.tasks.notify_after_ingest",
    "accord.notifications.tasks.webhooks_after_ingest",
]
