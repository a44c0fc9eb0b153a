"""Periodic jobs run by ``accord worker``: each due job runs once per period across all workers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accord.core.audit import audit_record
from accord.core.models import ScheduledRun

__all__ = ["run_due_jobs"]

DAY = timedelta(days=1)


def run_due_jobs(*, now: datetime | None = None, period: timedelta = DAY) -> list[str]:
    """Run every job of ``ACCORD_DAILY_JOBS`` that has not run within ``period``; return their names.

    The job's row is locked while it runs, so two workers never run the same job at once, and
    the job and its bookkeeping commit together.
    """
    now = now or timezone.now()
    ran = []
    for name in settings.ACCORD_DAILY_JOBS:
        job: Callable[[], Any] = import_string(name)
        with transaction.atomic():
            ScheduledRun.objects.get_or_create(name=name)
            run = ScheduledRun.objects.select_for_update().get(name=name)
            if run.last_run_at is not None and now - run.last_run_at < period:
                continue
            result = job()
            run.last_run_at = now
            run.last_result = f"{len(result)} item(s)" if isinstance(result, list | tuple) else str(result or "")
            run.save()
            audit_record(
                actor=None,
                action="schedule.run",
                object_type="core.scheduledrun",
                object_id=name,
                details={"result": run.last_result},
            )
        ran.append(name)
    return ran
