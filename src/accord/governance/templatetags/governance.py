"""Template filters of the governance pages: Markdown, and (from core) labels and allowed moves."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from accord.core.templatetags.labels import get_item, label
from accord.governance.markup import render_markdown

__all__ = ["markdown"]

register = template.Library()
register.filter("label", label)
register.filter("get_item", get_item)


@register.filter
def markdown(text: str) -> SafeString:
    """Markdown to safe HTML (raw HTML in the text is escaped)."""
    return render_markdown(text)
