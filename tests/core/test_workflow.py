"""The one workflow check: a refused move names the moves that are allowed."""

from __future__ import annotations

import pytest

from accord.core.errors import ValidationFailed
from accord.core.workflow import Workflow

DOOR = Workflow("a door", {"open": ("closed",), "closed": ("open", "locked"), "locked": ()})


def test_an_allowed_move_passes():
    DOOR.check("closed", "locked")


def test_a_refused_move_lists_the_allowed_ones():
    with pytest.raises(ValidationFailed) as refused:
        DOOR.check("open", "locked")
    assert refused.value.message == "to: a door that is open cannot go to locked; allowed: closed."
    assert refused.value.details == {"to": ["Allowed from open: closed."]}
    assert refused.value.http_status == 400


def test_a_final_status_says_so_and_a_reference_names_the_row():
    final = Workflow("a door", DOOR.moves, field="status", final="it stays locked")
    with pytest.raises(ValidationFailed) as refused:
        final.check("locked", "open", reference="DOOR-1")
    assert (
        refused.value.message == "status: DOOR-1 is locked and cannot become open; allowed: nothing (it stays locked)."
    )
    assert refused.value.details == {"status": ["Allowed from locked: none."]}
