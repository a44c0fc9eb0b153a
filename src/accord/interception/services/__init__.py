"""Every change to payment interception: raising and routing requests, their answers, their
deadlines' escalation, the institutions the routing knows. Keyword-only, atomic, checked,
audited; API, pages, CLI, the worker and the demo call these."""

from __future__ import annotations

from accord.interception.services.answers import (
    interception_acknowledge,
    interception_link_operation,
    interception_report,
    interception_withdraw,
    interceptions_consulted,
)
from accord.interception.services.clock import interceptions_escalate
from accord.interception.services.raising import institution_register, interception_raise

__all__ = [
    "institution_register",
    "interception_acknowledge",
    "interception_link_operation",
    "interception_raise",
    "interception_report",
    "interception_withdraw",
    "interceptions_consulted",
    "interceptions_escalate",
]
