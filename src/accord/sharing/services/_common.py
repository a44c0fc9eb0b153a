"""Helpers the submission modules share."""

from __future__ import annotations

from typing import Any

from accord.sharing.models import Submission


def _set(submission: Submission, **fields: Any) -> None:
    Submission.objects.filter(pk=submission.pk).update(**fields)
    for name, value in fields.items():
        setattr(submission, name, value)
