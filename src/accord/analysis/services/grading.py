"""Analysts' grading of shared objects: source reliability and information credibility."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accord.core.audit import audit_record
from accord.core.choices import ReliabilityGrade
from accord.core.errors import NotFound
from accord.core.guards import invalid, one_of, require
from accord.core.models import User
from accord.core.roles import Perm
from accord.sharing.models import StixObject

__all__ = [
    "object_grade",
]


@transaction.atomic
def object_grade(
    *,
    actor: User | None,
    stix_id: str,
    reliability: str | None = None,
    credibility: int | None = None,
    reason: str,
) -> int:
    """An analyst's grading of one object (every version): source reliability overriding the
    originator's grade (A–D, X), and information credibility (1–4). The number of versions graded."""
    require(actor, Perm.ANALYSIS_WORK)
    if reliability is None and credibility is None:
        raise invalid("reliability", "Give a reliability, a credibility or both.")
    if reliability is not None:
        one_of("reliability", reliability, ReliabilityGrade)
    if credibility is not None and credibility not in (1, 2, 3, 4):
        raise invalid("credibility", f"{credibility} is not an information credibility.", "1, 2, 3 or 4")
    if not reason.strip():
        raise invalid("reason", "Say why the grading changes.")
    versions = StixObject.objects.select_for_update().filter(stix_id=stix_id)
    before = list(versions.values("modified", "reliability", "credibility"))
    if not before:
        raise NotFound(f"No shared object {stix_id}.")
    changes: dict[str, Any] = {}
    if reliability is not None:
        changes["reliability"] = reliability
    if credibility is not None:
        changes["credibility"] = credibility
    count = versions.update(**changes)
    audit_record(
        actor=actor,
        action="object.grade",
        object_type="sharing.stixobject",
        object_id=stix_id,
        details={"before": [{k: str(v) for k, v in row.items()} for row in before], "after": changes},
        justification=reason,
    )
    return count
