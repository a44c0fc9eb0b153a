"""Paging for every API list: ``?page=N&page_size=M`` (at most 500), in an order that is total."""

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core.ui import CappedPaginator

__all__ = ["Pagination", "StableOrdering", "StorePagination"]


class Pagination(PageNumberPagination):
    """``?page_size=`` past the largest is the largest; one that is no whole number from 1 up is
    a 400 naming it (DRF would use the default page size in silence)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Request) -> int | None:
        asked = request.query_params.get(self.page_size_query_param)
        if asked is not None and not (asked.isascii() and asked.isdigit() and int(asked) >= 1):
            raise ValidationError({self.page_size_query_param: [f"'{asked}' is not a whole number from 1 up."]})
        return super().get_page_size(request)


class StorePagination(Pagination):
    """Paging for lists over the shared store (objects, observables, correlations, campaigns):
    rows are counted no further than ten pages past the page asked for, nor past
    ``ACCORD_LIST_COUNT_CAP`` (:class:`~accord.core.ui.CappedPaginator`), and ``count_capped``
    says when ``count`` stopped there ("more than"), so no request counts a million rows."""

    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        assert self.page is not None  # noqa: S101 - a page was made before its response
        response.data["count_capped"] = bool(getattr(self.page.paginator, "capped", False))
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        described = super().get_paginated_response_schema(schema)
        described["properties"]["count"]["description"] = (
            "Rows, counted no further than ten pages past this one, nor past the cap (10,000 by default)."
        )
        described["properties"]["count_capped"] = {
            "type": "boolean",
            "description": "The count stopped there: there are more rows (a later page counts further).",
        }
        described["required"] = [*described.get("required", []), "count_capped"]
        return described


class StableOrdering(OrderingFilter):
    """``?ordering=`` on the fields a view names in ``ordering_fields``, and only those, with the
    primary key as the last key.

    A view that names none takes no ``?ordering=`` (DRF would allow every field of its
    serializer, and an order is an answer too: ordering correlations by a total only host staff
    see would tell a partner of objects it may not see). Rows that tie on the fields asked for
    (objects stored by one submission share their arrival) come in one order on every request and
    every database, so no page repeats or skips a row and one answer can be compared with another.
    """

    def get_default_valid_fields(self, queryset: Any, view: Any, context: Any = None) -> list[tuple[str, str]]:
        return []

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> list[str]:
        terms = list(super().get_ordering(request, queryset, view) or [])
        if terms and not any(t.lstrip("-") in ("pk", "id") for t in terms):
            terms.append("-pk" if terms[0].startswith("-") else "pk")
        return terms
