"""``{% load labels %}``: choice values as words and a status's allowed moves, for any app's pages."""

from __future__ import annotations

from django import template

__all__ = ["get_item", "label"]

register = template.Library()


@register.filter
def label(value: str) -> str:
    """``in_progress`` → ``In progress``."""
    return value.replace("_", " ").capitalize()


@register.filter
def get_item(mapping: dict[str, object], key: str) -> object:
    """``mapping[key]`` in a template (the allowed moves of a status)."""
    return mapping.get(key, ())
