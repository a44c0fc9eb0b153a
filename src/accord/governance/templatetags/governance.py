"""Template filters of the governance pages."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from accord.governance.markup import render_markdown

__all__ = ["get_item", "label", "markdown"]

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Markdown to safe HTML (raw HTML in the text is escaped)."""
    return render_markdown(text)


@register.filter
def label(value: str) -> str:
    """``in_progress`` → ``In progress``."""
    return value.replace("_", " ").capitalize()


@register.filter
def get_item(mapping: dict[str, object], key: str) -> object:
    """``mapping[key]`` in a template (the allowed moves of a status)."""
    return mapping.get(key, ())
