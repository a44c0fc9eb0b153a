"""Reads the policy app offers: the explanation of a decision."""

from __future__ import annotations

from typing import Any

from accord.core.audit import audit_record
from accord.core.choices import Tlp
from accord.core.errors import NotFound
from accord.core.models import User
from accord.core.public_ids import parse
from accord.policy.decision import Action, decide, outside_audience
from accord.policy.principal import PrincipalContext, principal_context
from accord.policy.rules import tlp_grant
from accord.sharing.models import StixObject

__all__ = ["explain", "may_know_exists"]


def may_know_exists(ctx: PrincipalContext, obj: StixObject) -> bool:
    """Whether the asker may learn that the object exists: host staff and the originator
    always; anyone else only for a live object that its audience (for a host product sent to
    named organisations), its TLP marking and the originator's onward-sharing terms would let
    reach them. What remains to explain is then about the asker's own side: its agreement, its
    caps, the purpose asked for. Others get a 404."""
    if ctx.is_host or obj.organisation_id == ctx.organisation_id:
        return True
    if obj.revoked or (obj.expires_at is not None and obj.expires_at <= ctx.now):
        return False
    if outside_audience(ctx, obj):
        return False
    grant = tlp_grant(ctx, Action.VIEW)
    reachable = (
        obj.tlp in grant.labels
        or (
            grant.amber_if_addressed
            and obj.tlp == Tlp.AMBER
            and obj.addressed_to.filter(pk=ctx.organisation_id or 0).exists()
        )
        or (grant.red_if_named and obj.tlp == Tlp.RED and obj.recipients.filter(pk=ctx.user_id or 0).exists())
    )
    if not reachable:
        return False
    if obj.tlp == Tlp.CLEAR or obj.agreement is None:
        return True
    terms = obj.agreement.current_version
    return (
        terms is not None
        and ctx.organisation_kind in terms.onward_kinds
        and (ctx.organisation_region in terms.onward_regions)
    )


def explain(*, principal: User, object: str, purpose: str, action: str) -> dict[str, Any]:  # noqa: A002
    """The decision on one object for the asker, in words, with the agreements it read.

    The request itself goes into the audit chain (who asked about what, and the answer).
    """
    qs = StixObject.objects.select_related("agreement__current_version", "organisation")
    numeric = object.isascii() and object.isdigit()  # "²" is a digit to str.isdigit, not a number
    obj = (qs.filter(pk=parse(object)) if numeric else qs.filter(stix_id=object)).order_by("-modified").first()
    ctx = principal_context(principal)
    if obj is None or not may_know_exists(ctx, obj):
        raise NotFound(f"No shared object {object} (or you may not know of it).")
    decision = decide(principal, obj, action, purpose, context=ctx)
    answer = decision.as_dict()
    if not ctx.is_host:  # a partner reads about its own agreements, never the originator's
        answer["agreements"] = [a for a in answer["agreements"] if a["party"] == "recipient"]
    audit_record(
        actor=principal,
        action="policy.explain",
        obj=obj,
        details={"action": action, "purpose": purpose, "allowed": decision.allowed, "rule": decision.rule},
    )
    return {"object": obj.stix_id, "action": action, "purpose": purpose, **answer}
