"""Serializer fields whose errors name what was expected, and the public ids of shared data."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import TextChoices
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.relations import PKOnlyObject

from accord.core.public_ids import encode, is_covered, parse

__all__ = ["IdsField", "PublicIdField", "PublicIdRelatedField", "PublicIds", "choice_field", "choice_list_field"]


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


class PublicIdField(serializers.IntegerField):
    """The public id of a covered model's row (:mod:`accord.core.public_ids`); an integer in the
    schema, as the row id was. Read, it gives the row a public id names (row 0, which no row has,
    for one that names none)."""

    def to_representation(self, value: Any) -> int:
        return encode(int(value))

    def to_internal_value(self, data: Any) -> int:
        return parse(super().to_internal_value(data))


class PublicIdRelatedField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """A foreign key to a covered model, by its public id both ways; a public id that names no
    row is refused naming the id as sent."""

    def to_representation(self, value: Any) -> int:
        return encode(int(value.pk if isinstance(value, PKOnlyObject | models.Model) else value))

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        queryset = self.get_queryset()
        try:
            return queryset.get(pk=parse(data)) if queryset is not None else None
        except ObjectDoesNotExist:
            self.fail("does_not_exist", pk_value=data)


class PublicIds:
    """Mix into a ``ModelSerializer``: its ``id`` and its foreign keys go out as public ids
    wherever the model they name is covered, without naming each field."""

    def build_standard_field(self, field_name: str, model_field: Any) -> tuple[type[Any], dict[str, Any]]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)  # type: ignore[misc]
        if getattr(model_field, "primary_key", False) and is_covered(model_field.model):
            return PublicIdField, kwargs
        return field_class, kwargs

    def build_relational_field(self, field_name: str, relation_info: Any) -> tuple[type[Any], dict[str, Any]]:
        field_class, kwargs = super().build_relational_field(field_name, relation_info)  # type: ignore[misc]
        if field_class is serializers.PrimaryKeyRelatedField and is_covered(relation_info.related_model):
            return PublicIdRelatedField, kwargs
        return field_class, kwargs


@extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
class IdsField(serializers.Field):  # type: ignore[type-arg]
    """The ids of a to-many relation (read from prefetched rows)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Any) -> list[int]:
        return [item.pk for item in value.all()]
