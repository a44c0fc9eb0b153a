"""Serializer fields whose errors name what was expected."""

from __future__ import annotations

from typing import Any

from django.db.models import TextChoices
from rest_framework import serializers

__all__ = ["choice_field", "choice_list_field"]


def choice_field(choices: type[TextChoices], **kwargs: Any) -> serializers.ChoiceField:
    """A choice field whose error lists the allowed values."""
    allowed = ", ".join(choices.values)
    return serializers.ChoiceField(
        choices=choices.choices,
        error_messages={"invalid_choice": f"'{{input}}' is not one of: {allowed}."},
        **kwargs,
    )


def choice_list_field(choices: type[TextChoices], **kwargs: Any) -> serializers.ListField:
    """A list of choices; each bad item is named with the allowed values."""
    return serializers.ListField(child=choice_field(choices), **kwargs)
