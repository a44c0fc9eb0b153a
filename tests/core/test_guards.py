"""The shared checks: the yes/no options of requests (``?strict=``, ``?show_suppressed=``)."""

from __future__ import annotations

import pytest

from accord.core.errors import ValidationFailed
from accord.core.guards import flag


@pytest.mark.parametrize("value", ["1", "true", "yes", "on", " TRUE ", "Yes"])
def test_a_yes(value):
    assert flag("strict", value) is True


@pytest.mark.parametrize("value", [None, "", "0", "false", "no", "off", "Off "])
def test_a_no_or_nothing(value):
    assert flag("strict", value) is False


def test_anything_else_is_refused_naming_the_option():
    with pytest.raises(ValidationFailed) as refused:
        flag("show_suppressed", "maybe")
    assert refused.value.message == "show_suppressed: 'maybe' is not true or false."
    assert refused.value.details == {"show_suppressed": ["true or false."]}
