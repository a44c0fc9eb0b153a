"""``{{ submission.pk|public_id }}``: a covered model's id as pages show it (see
:mod:`accord.core.public_ids`); a built-in of every template, like ``{% url %}`` that writes the
same public id into links."""

from __future__ import annotations

from typing import Any

from django import template

from accord.core.public_ids import encode

__all__ = ["public_id"]

register = template.Library()


@register.filter
def public_id(row: Any) -> int | str:
    """The public id of a row id; nothing for a row that has none (no id yet)."""
    try:
        return encode(int(row))
    except (TypeError, ValueError):
        return ""
