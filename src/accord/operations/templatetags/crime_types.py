"""``{% load crime_types %}``: an operation's crime type (``bec``) by its name."""

from __future__ import annotations

from django import template

from accord.analysis.taxonomy import europol_label
from accord.operations.choices import CrimeType

__all__ = ["crime_type"]

register = template.Library()


@register.filter
def crime_type(value: object) -> str:
    """``bec`` → ``Business email compromise``; a crime type outside the list by its europol-incident words."""
    code = str(value or "")
    try:
        return str(CrimeType(code).label)
    except ValueError:
        return europol_label(code)
