"""Helpers shared by the governance services: the manage permission and the audit name."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from accord.core.audit import audit_record
from accord.core.guards import require
from accord.core.models import User
from accord.core.roles import Perm


def _manage(actor: User | None) -> None:
    require(actor, Perm.GOVERNANCE_MANAGE)


def _audit(actor: User | None, action: str, obj: Model, **details: Any) -> None:
    audit_record(actor=actor, action=f"governance.{action}", obj=obj, details=details)
