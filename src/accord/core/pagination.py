"""Paging for every API list: ``?page=N&page_size=M`` (at most 500)."""

from rest_framework.pagination import PageNumberPagination

__all__ = ["Pagination"]


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
