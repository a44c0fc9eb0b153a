"""The log of every consultation or disclosure of personal data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from accord.core.audit import audit_record
from accord.core.choices import DataCategory
from accord.core.models import User
from accord.policy import WITHHELD_OBSERVABLES, PrincipalContext, principal_context, withheld_from
from accord.sharing.models import Observable, StixObject


def personal_data_consulted(
    *,
    actor: User,
    objects: Iterable[StixObject] = (),
    stix_ids: Iterable[str] = (),
    observables: Iterable[Observable] = (),
    observable_ids: Iterable[int] = (),
    purpose: str,
    via: str,
    context: PrincipalContext | None = None,
    **where: Any,
) -> None:
    """Log that ``actor`` consulted personal data: who, their organisation, when (the event's
    time), why (the purpose), how (``via``: web, api, taxii, export) and which objects and
    observables. Of ``objects``, only those of the personal-data category shown whole count
    (one whose fields the originator's agreement withholds from the actor showed no personal
    data); of ``observables``, only phone numbers and e-mail addresses; ``stix_ids`` and
    ``observable_ids`` are already chosen so. When none is left, nothing is written. Every
    consultation or disclosure of personal data is logged (data protection for law
    enforcement), and only those, so reading indicators costs no write."""
    chosen = [obj for obj in objects if obj.data_category == DataCategory.PERSONAL_DATA]
    if chosen:
        ctx = context or principal_context(actor)
        stix_ids = [*stix_ids, *(obj.stix_id for obj in chosen if not withheld_from(ctx, obj))]
    ids = sorted(set(stix_ids))
    personal = WITHHELD_OBSERVABLES[DataCategory.PERSONAL_DATA]
    values = sorted({*observable_ids, *(observable.pk for observable in observables if observable.type in personal)})
    if not ids and not values:
        return
    details: dict[str, Any] = {"via": via, "purpose": purpose, "objects": ids}
    if values:
        details["observables"] = values
    audit_record(
        actor=actor,
        action="personal_data.consulted",
        object_type="sharing.stixobject",
        organisation=actor.organisation,
        details=details | where,
    )
