"""Reads the policy app offers: whether an asker may learn that an object exists."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord.core.choices import Tlp
from accord.policy.decision import Action, gone, outside_audience, tlp_reaches
from accord.policy.principal import PrincipalContext
from accord.policy.rules import onward_permits

if TYPE_CHECKING:
    from accord.sharing.models import StixObject

__all__ = ["may_know_exists"]


def may_know_exists(ctx: PrincipalContext, obj: StixObject) -> bool:
    """Whether the asker may learn that the object exists: host staff and the originator
    always; anyone else only for a live object that its audience (for a host product sent to
    named organisations), its TLP marking and the originator's onward-sharing terms would let
    reach them, as :func:`accord.policy.decide` reads each (whatever the purpose). What remains
    to explain is then about the asker's own side: its agreement, its caps, the purpose asked
    for. Others get a 404."""
    if ctx.is_host or obj.organisation_id == ctx.organisation_id:
        return True
    if gone(ctx, obj) or outside_audience(ctx, obj) or not tlp_reaches(ctx, obj, obj.tlp, Action.VIEW):
        return False
    if obj.tlp == Tlp.CLEAR or obj.agreement is None:
        return True
    terms = obj.agreement.current_version
    return terms is not None and onward_permits(terms, ctx)[0]
