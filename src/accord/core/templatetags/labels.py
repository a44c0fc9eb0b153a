"""``{% load labels %}``: choice values as words and a status's allowed moves, for any app's pages."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

__all__ = ["get_item", "label", "tlp_badge"]

_TLP_WORDS = {
    "clear": "TLP:CLEAR",
    "white": "TLP:WHITE",
    "green": "TLP:GREEN",
    "amber": "TLP:AMBER",
    "amber+strict": "TLP:AMBER+STRICT",
    "red": "TLP:RED",
}

register = template.Library()


@register.filter
def label(value: str) -> str:
    """``in_progress`` → ``In progress``."""
    return value.replace("_", " ").capitalize()


@register.filter
def get_item(mapping: dict[str, object], key: str) -> object:
    """``mapping[key]`` in a template (the allowed moves of a status)."""
    return mapping.get(key, ())


@register.filter
def tlp_badge(value: object) -> SafeString | str:
    """A TLP level, by its code (``amber+strict``) or its words (``TLP:AMBER+STRICT``), as the
    badge in FIRST's colours (``.tlp-amber-strict`` in accord.css); nothing for no level."""
    code = str(value or "").strip().lower().removeprefix("tlp:")
    if code not in _TLP_WORDS:
        return str(value or "")
    return format_html('<span class="tlp tlp-{}">{}</span>', code.replace("+", "-"), _TLP_WORDS[code])
