"""Every change to governance: groups and memberships, meetings and their invitations,
recommendations and their follow-up, the good-practices library and the conference (joint
operations: :mod:`accord.operations.services`).

Keyword-only, atomic, role-checked, audited. API, UI, CLI and the demo call these.
"""

from __future__ import annotations

from accord.governance.services.conference import (
    conference_configure,
    edition_create,
    expected_host,
    paper_review,
    paper_submit,
    registration_cancel,
    registration_create,
    registration_mark_attended,
    session_create,
)
from accord.governance.services.groups import groups_ensure, membership_add, membership_end
from accord.governance.services.meetings import (
    attendance_record,
    meeting_attach_document,
    meeting_cancel,
    meeting_invite,
    meeting_schedule,
    meeting_set_minutes,
    meeting_update,
)
from accord.governance.services.practices import practice_create
from accord.governance.services.recommendations import (
    action_item_add,
    action_item_complete,
    recommendation_create,
    recommendation_note,
    recommendation_transition,
    recommendations_overdue_daily,
)

__all__ = [
    "action_item_add",
    "action_item_complete",
    "attendance_record",
    "conference_configure",
    "edition_create",
    "expected_host",
    "groups_ensure",
    "meeting_attach_document",
    "meeting_cancel",
    "meeting_invite",
    "meeting_schedule",
    "meeting_set_minutes",
    "meeting_update",
    "membership_add",
    "membership_end",
    "paper_review",
    "paper_submit",
    "practice_create",
    "recommendation_create",
    "recommendation_note",
    "recommendation_transition",
    "recommendations_overdue_daily",
    "registration_cancel",
    "registration_create",
    "registration_mark_attended",
    "session_create",
]
