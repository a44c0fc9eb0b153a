"""``{% load filterforms %}``: a list page's filter form shown for people (:mod:`accord.web.filterforms`)."""

from __future__ import annotations

from typing import Any

from django import template

from accord.web.filterforms import dress

__all__ = ["people_form"]

register = template.Library()


@register.simple_tag(takes_context=True)
def people_form(context: Any, filterset: Any) -> Any:
    """``{% people_form filter as form %}``: the filterset's form with labels in words and pickers."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return dress(filterset, user if getattr(user, "is_authenticated", False) else None)
