"""Trends, observables' confidence scores, and analysts' grading of objects."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accord.analysis import selectors, services
from accord.analysis.scoring import observable_score
from accord.analysis.selectors import trend_window
from accord.core.public_ids import encode
from accord.core.replicas import reads_from_replica
from accord.core.roles import Perm
from accord.core.viewsets import principal_of, validated

__all__ = [
    "GradingView",
    "ScoreView",
    "TrendsView",
]


class TrendsView(APIView):
    """Counts by crime type × region × month, top correlations, new campaigns, contributions."""

    @extend_schema(
        parameters=[OpenApiParameter("since", str), OpenApiParameter("until", str)],
        responses=dict,
    )
    def get(self, request: Request) -> Response:
        since, until = trend_window(request.query_params.get("since"), request.query_params.get("until"))
        with reads_from_replica(request):
            trends = selectors.trends(principal=principal_of(request), since=since, until=until)
        # the observables by their public ids, as everywhere else the API names them
        trends["top_correlated"] = [
            row | {"observable_id": encode(row["observable_id"])} for row in trends["top_correlated"]
        ]
        return Response(trends)


class ScoreView(APIView):
    """The confidence score of one observable, with what made it (``docs/analysis.md``)."""

    @extend_schema(parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)], responses=dict)
    def get(self, request: Request, pk: str) -> Response:
        principal = principal_of(request)
        observable = selectors.observable_for_score(principal=principal, pk=pk)
        return Response(observable_score(principal=principal, observable=observable).as_dict())


class GradingSerializer(serializers.Serializer[Any]):
    object = serializers.CharField(help_text="The STIX id; every version is graded.")
    reliability = serializers.CharField(required=False, help_text="Source reliability A–D or X.")
    credibility = serializers.IntegerField(required=False, help_text="Information credibility 1–4.")
    reason = serializers.CharField(max_length=500)


class GradingView(APIView):
    """An analyst grades an object: reliability overriding the source's grade, credibility."""

    action_perms: ClassVar[dict[str, Perm]] = {"post": Perm.ANALYSIS_WORK}

    @extend_schema(request=GradingSerializer, responses=dict)
    def post(self, request: Request) -> Response:
        data = validated(GradingSerializer, request.data)
        count = services.object_grade(
            actor=principal_of(request),
            stix_id=data["object"],
            reliability=data.get("reliability"),
            credibility=data.get("credibility"),
            reason=data["reason"],
        )
        return Response({"graded_versions": count})
