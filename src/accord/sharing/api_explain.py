"""``GET /api/v1/policy/explain/``: why the asker can or cannot see a shared object.

The decision is the policy's; reading the object by its id is the store's
(:func:`accord.sharing.selectors.object_explain`, which asks the policy). The route keeps the
policy's name, and lives with the store, which sits above the policy.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accord.core.choices import Purpose
from accord.core.fields import choice_field
from accord.core.schema import ErrorSerializer
from accord.core.viewsets import principal_of
from accord.policy import Action
from accord.sharing.selectors import object_explain

__all__ = ["ExplainView"]


class ExplainQuerySerializer(serializers.Serializer[Any]):
    object = serializers.CharField(help_text="A STIX id (latest version) or an object's (public) numeric id.")
    purpose = choice_field(Purpose, required=False, default=Purpose.INVESTIGATION)
    action = serializers.ChoiceField(choices=[a.value for a in Action], required=False, default=Action.VIEW)


class ExplainView(APIView):
    """The policy decision for one object, the rule that decided and the agreements consulted."""

    @extend_schema(
        parameters=[
            OpenApiParameter("object", str, required=True),
            OpenApiParameter("purpose", str, enum=Purpose.values),
            OpenApiParameter("action", str, enum=[a.value for a in Action]),
        ],
        responses={
            200: inline_serializer(
                "Explanation",
                {
                    "object": serializers.CharField(),
                    "action": serializers.CharField(),
                    "purpose": serializers.CharField(),
                    "allowed": serializers.BooleanField(),
                    "rule": serializers.CharField(),
                    "reason": serializers.CharField(),
                    "redactions": serializers.ListField(child=serializers.CharField()),
                    "agreements": serializers.ListField(child=serializers.DictField()),
                },
            ),
            404: ErrorSerializer,  # no object of that id that the asker may know of
        },
    )
    def get(self, request: Request) -> Response:
        query = ExplainQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(object_explain(principal=principal_of(request), **query.validated_data))
