"""``{% load labels %}``: choice values as words and a status's allowed moves, for any app's pages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accord.core.choices import ContributionArea, Region
from accord.core.regions import country_name

__all__ = ["contribution_areas", "country", "get_item", "label", "money", "percent", "region", "regions", "tlp_badge"]

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


@register.filter
def money(amount: object, currency: object = "") -> str:
    """``1850000.00`` and ``USD`` → ``USD 1,850,000.00`` (whole amounts without cents); nothing
    for no amount."""
    if amount in (None, ""):
        return "—"
    try:
        number = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    text = f"{number:,.0f}" if number == number.to_integral_value() else f"{number:,.2f}"
    return f"{currency} {text}".strip()


@register.filter
def percent(rate: object, digits: int = 0) -> str:
    """A rate between 0 and 1 (``0.75``) as a percentage (``75 %``)."""
    if rate in (None, ""):
        return "—"
    try:
        value = float(str(rate)) * 100
    except ValueError:
        return str(rate)
    return f"{value:.{int(digits)}f} %"


@register.filter
def country(code: object) -> str:
    """An ISO 3166-1 code (``KE``) as the country's name (``Kenya``)."""
    text = str(code or "")
    return country_name(text) if text else "—"


@register.filter
def region(code: object) -> str:
    """A region's code (``africa``) as its name (``Africa``)."""
    text = str(code or "")
    try:
        return str(Region(text).label)
    except ValueError:
        return text.replace("_", " ").capitalize()


@register.filter
def contribution_areas(codes: object) -> str:
    """A list of contribution areas (``information_sharing``) in words, joined."""
    words = dict(ContributionArea.choices)
    items = codes if isinstance(codes, list | tuple) else [codes] if codes else []
    return ", ".join(str(words.get(str(c), str(c).replace("_", " ").capitalize())) for c in items) or "—"


@register.filter
def regions(codes: object) -> str:
    """A list of region codes by name, joined."""
    items = codes if isinstance(codes, list | tuple) else [codes] if codes else []
    return ", ".join(region(c) for c in items) or "—"
