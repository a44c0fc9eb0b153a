"""Every change to secondment and training: experts, requests, placements and their daily
housekeeping; courses, sessions, sponsorships, officers, enrolments and certificates.

Keyword-only, atomic, role-checked, audited. API, UI, CLI and the daily job call these; every
business rule of the programme is written here once.
"""

from __future__ import annotations

from accord.programme.services._common import (
    add_months,
)
from accord.programme.services.enrolments import (
    certificate_revoke,
    enrolment_complete,
    enrolment_confirm,
    enrolment_nominate,
    enrolment_record_attendance,
    enrolment_withdraw,
    officer_create,
    training_reminders_daily,
)
from accord.programme.services.experts import (
    expert_create,
    expert_update,
    request_create,
    request_set_status,
    skill_create,
)
from accord.programme.services.secondments import (
    agreement_covers,
    covering_agreement,
    secondment_propose,
    secondment_transition,
    secondments_daily,
)
from accord.programme.services.training import (
    course_create,
    course_update,
    session_cancel,
    session_create,
    sponsorship_create,
)

__all__ = [
    "add_months",
    "agreement_covers",
    "certificate_revoke",
    "course_create",
    "course_update",
    "covering_agreement",
    "enrolment_complete",
    "enrolment_confirm",
    "enrolment_nominate",
    "enrolment_record_attendance",
    "enrolment_withdraw",
    "expert_create",
    "expert_update",
    "officer_create",
    "request_create",
    "request_set_status",
    "secondment_propose",
    "secondment_transition",
    "secondments_daily",
    "session_cancel",
    "session_create",
    "skill_create",
    "sponsorship_create",
    "training_reminders_daily",
]
