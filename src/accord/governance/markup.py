"""Minutes and good practices are written in Markdown; this renders them safely.

markdown-it-py (CommonMark) with raw HTML disabled: any ``<script>`` or ``<img onerror>`` in
the text comes out escaped, and its link validator refuses ``javascript:``, ``vbscript:`` and
``data:`` URLs (see docs/decisions.md).
"""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

__all__ = ["render_markdown"]

_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def render_markdown(text: str) -> SafeString:
    """HTML of ``text``; safe to put in a page as it is (no raw HTML passes through)."""
    html: str = _MD.render(text or "")
    return mark_safe(html)  # noqa: S308 - markdown-it escapes all raw HTML (html=False)
