"""Status workflows as data: where each status may go, one check, one way to record a move.

An app declares its workflow once, next to its statuses (``partners/choices.py`` and the like)::

    AGREEMENT_WORKFLOW = Workflow("an agreement", AGREEMENT_TRANSITIONS, field="status")

and its services call :meth:`Workflow.check` (a refused move is a 400 naming the moves that are
allowed) and :meth:`Workflow.record` (the status set, the row saved and the audit event appended
in the caller's transaction). The pages and the API read :meth:`Workflow.allowed` to offer only
the moves the check would accept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Model

from accord.core.audit import audit_record
from accord.core.errors import ValidationFailed
from accord.core.models import Organisation, User

__all__ = ["Workflow"]


@dataclass(frozen=True)
class Workflow:
    """The allowed moves of one status field.

    ``noun`` names a row in messages that have no reference to show ("a recommendation");
    ``field`` is the input field a refused move is reported on; ``final`` says why a status
    with no way out has none.
    """

    noun: str
    moves: Mapping[str, tuple[str, ...]]
    field: str = "to"
    final: str = "final"

    def allowed(self, current: str) -> tuple[str, ...]:
        """The statuses ``current`` may move to (none from a final one)."""
        return self.moves[current]

    def check(self, current: str, to: str, *, reference: str = "") -> None:
        """Refuse a move the workflow does not allow, with a message listing those it does.

        With a ``reference`` (``AGR-2026-001``) the message names the row; without, the noun.
        """
        allowed = self.allowed(current)
        if to in allowed:
            return
        listed = ", ".join(allowed)
        refused = (
            f"{reference} is {current} and cannot become {to}"
            if reference
            else f"{self.noun} that is {current} cannot go to {to}"
        )
        raise ValidationFailed(
            f"{self.field}: {refused}; allowed: {listed or f'nothing ({self.final})'}.",
            details={self.field: [f"Allowed from {current}: {listed or 'none'}."]},
        )

    def record(
        self,
        *,
        actor: User | None,
        obj: Model,
        to: str,
        action: str,
        details: dict[str, Any],
        update_fields: Iterable[str] | None = ("status",),
        organisation: Organisation | None = None,
        object_type: str = "",
        justification: str = "",
    ) -> str:
        """Set ``obj.status`` to ``to``, save it and append the ``action`` audit event; returns
        the status it had. ``update_fields=None`` saves the whole row (other fields changed with
        the move); ``details`` are the event's, as each workflow has always written them."""
        before: str = obj.status  # type: ignore[attr-defined]
        obj.status = to  # type: ignore[attr-defined]
        obj.save(update_fields=None if update_fields is None else list(update_fields))
        audit_record(
            actor=actor,
            action=action,
            obj=obj,
            organisation=organisation,
            object_type=object_type,
            justification=justification,
            details=details,
        )
        return before
