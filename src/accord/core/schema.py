"""The API's OpenAPI schema documents every answer an operation gives, errors included.

drf-spectacular documents the success of each operation; :class:`AutoSchema` adds the errors
that :func:`accord.core.errors.api_exception_handler` answers, in its one body shape, on the
operations that can give them: 400 where the request carries input (a body, a query, a path
number the database cannot hold), 401 and 403 wherever a token is needed (no token, a bad one,
a role or a scope short of the action), 404 where a path names a row or a list is paged, 409 where
a write can meet a state that refuses it, 413 where a body is taken, 429 everywhere (a token's or
an address's request rate, :class:`accord.core.ratelimit.RequestRateMiddleware`).
An optional query parameter sent empty counts as not sent, and the schema says so.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular import openapi
from rest_framework import serializers

__all__ = ["AutoSchema", "ErrorSerializer"]


class ErrorDetailSerializer(serializers.Serializer[Any]):
    """What went wrong: a stable code, a sentence naming the problem, and the fields or items at fault."""

    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.JSONField(allow_null=True, help_text="Fields or items at fault, when there are any.")


class ErrorSerializer(serializers.Serializer[Any]):
    """Every API error: ``{"error": {"code", "message", "details"}}`` (:func:`accord.core.errors.error_body`)."""

    error = ErrorDetailSerializer()


ERROR_DESCRIPTIONS = {
    "400": "The request is invalid; the message names the field or parameter at fault.",
    "401": "No usable credentials: the token is missing, malformed, expired or revoked.",
    "403": "The role, the token's scopes or the policy do not allow this.",
    "404": "Nothing here that you may see (a missing row and a forbidden one look the same), or no such page.",
    "409": "The row is in a state that refuses this action.",
    "413": "The request body, or an item of it, is past the size the platform takes.",
    "429": "Too many requests from this token or address (or of this kind); Retry-After says when to try again.",
    "503": "Accord's database or file store cannot answer for now (restarting, read-only, busy, unreachable); "
    "Retry-After says when to try again (accord.core.faults).",
    "507": "Accord's storage is full: nothing of the request was kept; try again once space is freed.",
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema of an operation, with the error answers it can give, and blank
    text allowed where a blank-able URL or e-mail field really answers ``""``."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and not parameter.get("required"):
                # An empty parameter is an absent one (a page's filter form sends its empty fields).
                parameter["allowEmptyValue"] = True
        for code in self._error_codes(operation):
            operation["responses"].setdefault(
                code,
                self._get_response_for_code(ErrorSerializer, code)  # type: ignore[no-untyped-call]
                | {"description": ERROR_DESCRIPTIONS[code]},
            )
        return operation

    def _error_codes(self, operation: dict[str, Any]) -> list[str]:
        codes = []
        takes_body = "requestBody" in operation
        parameters = {p["in"] for p in operation.get("parameters", [])}
        paginator = self._get_paginator()  # type: ignore[no-untyped-call]
        paged = self._is_list_view() and paginator is not None and self.method == "GET"
        if takes_body or parameters:
            codes.append("400")
        if operation.get("security") not in (None, [], [{}]):
            codes += ["401", "403"]
        if "path" in parameters or paged:
            codes.append("404")
        if self.method not in ("GET", "HEAD", "OPTIONS"):
            codes.append("409")
        if takes_body:
            codes.append("413")
        codes.append("429")  # every request counts against its token's and its address's rate
        codes.append("503")  # every operation asks the database
        if self.method not in ("GET", "HEAD", "OPTIONS"):
            codes.append("507")
        return codes

    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_serializer_field(field, direction, bypass_extensions)  # type: ignore[no-untyped-call]
        if not _may_be_blank(field):
            return schema
        if "enum" in schema and "" not in schema["enum"]:
            schema["enum"] = [*schema["enum"], ""]  # drf-spectacular then names it a BlankEnum
        elif schema.get("format") in ("uri", "email"):
            # A formatted text field that may be left blank answers "" (which is no URI or address).
            formatted = {"type": "string", "format": schema.pop("format")}
            schema.pop("type", None)
            schema["anyOf"] = [formatted, {"type": "string", "maxLength": 0}]
        return schema


def _may_be_blank(field: Any) -> bool:
    """Whether a text field can answer ``""``: it allows blank input, or it reads a model field
    that may be blank (DRF drops ``allow_blank`` from the fields a serializer only reads)."""
    if getattr(field, "allow_blank", False):
        return True
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if not field.read_only or model is None or len(field.source_attrs) != 1:
        return False
    try:
        model_field = model._meta.get_field(field.source_attrs[0])
    except FieldDoesNotExist:
        return False
    return isinstance(model_field, models.CharField | models.TextField) and model_field.blank
