"""Reads the policy app offers: the explanation of a decision."""

from __future__ import annotations

from typing import Any

from accord.core.audit import audit_record
from accord.core.choices import OrganisationKind, Tlp
from accord.core.errors import NotFound
from accord.core.models import User
from accord.policy.decision import decide
from accord.policy.principal import PrincipalContext, principal_context
from accord.sharing.models import StixObject

__all__ = ["explain", "may_know_exists"]


def may_know_exists(ctx: PrincipalContext, obj: StixObject) -> bool:
    """Whether the asker could know the object exists, agreements aside: host staff, the
    originator, and anyone its TLP and addressing would reach. Others get a 404 from explain."""
    if ctx.is_host or obj.organisation_id == ctx.organisation_id:
        return True
    if obj.tlp in (Tlp.CLEAR, Tlp.GREEN):
        return True
    if obj.tlp == Tlp.AMBER:
        return (
            ctx.organisation_kind == OrganisationKind.LAW_ENFORCEMENT
            or obj.addressed_to.filter(pk=ctx.organisation_id or 0).exists()
        )
    if obj.tlp == Tlp.RED:
        return obj.recipients.filter(pk=ctx.user_id or 0).exists()
    return False


def explain(*, principal: User, object: str, purpose: str, action: str) -> dict[str, Any]:  # noqa: A002
    """The decision on one object for the asker, in words, with the agreements it read.

    The request itself goes into the audit chain (who asked about what, and the answer).
    """
    qs = StixObject.objects.select_related("agreement__current_version", "organisation")
    obj = (qs.filter(pk=int(object)) if object.isdigit() else qs.filter(stix_id=object)).order_by("-modified").first()
    ctx = principal_context(principal)
    if obj is None or not may_know_exists(ctx, obj):
        raise NotFound(f"No shared object {object} (or you may not know of it).")
    decision = decide(principal, obj, action, purpose, context=ctx)
    audit_record(
        actor=principal,
        action="policy.explain",
        obj=obj,
        details={"action": action, "purpose": purpose, "allowed": decision.allowed, "rule": decision.rule},
    )
    return {"object": obj.stix_id, "action": action, "purpose": purpose, **decision.as_dict()}
