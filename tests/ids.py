"""Ids as readers meet them (:mod:`accord.core.public_ids`): ``pid(row)`` for a URL or an
expected body, ``row(public)`` to find the row an answer names."""

from __future__ import annotations

from typing import Any

from accord.core.public_ids import decode, encode

__all__ = ["pid", "row"]


def pid(obj: Any) -> int:
    """The public id of a model instance (of a covered model) or of a row id."""
    return encode(int(getattr(obj, "pk", obj)))


def row(public: Any) -> int:
    """The row id a public id (as an answer gives it) names."""
    return decode(int(public))
