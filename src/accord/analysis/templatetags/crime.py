"""``{% load crime %}``: a crime type or europol-incident machine tag in words, for any page."""

from __future__ import annotations

from django import template

from accord.analysis.taxonomy import europol_label

__all__ = ["crime_label", "crime_labels"]

register = template.Library()


@register.filter
def crime_label(value: object) -> str:
    """``europol-incident:malware="infection"`` → ``Malware: Infection``; ``bec`` → its tag's words."""
    return europol_label(str(value or ""))


@register.filter
def crime_labels(values: object) -> str:
    """Several crime types or tags in words, joined (``—`` for none)."""
    items = values if isinstance(values, list | tuple) else [values] if values else []
    return ", ".join(europol_label(str(v)) for v in items if v) or "—"
