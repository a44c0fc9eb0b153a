"""The API router for covered models (:mod:`accord.core.public_ids`): its detail routes take a
public id through the ``public_id`` path converter, so a view receives the row it names."""

from __future__ import annotations

from typing import Any

from rest_framework.routers import SimpleRouter

__all__ = ["PublicIdRouter"]


class PublicIdRouter(SimpleRouter):
    """``<prefix>/<public id>/``: register here every viewset whose rows are of a covered model."""

    def __init__(self) -> None:
        super().__init__(use_regex_path=False)

    def get_lookup_regex(self, viewset: Any, lookup_prefix: str = "") -> str:
        lookup_url_kwarg = getattr(viewset, "lookup_url_kwarg", None) or getattr(viewset, "lookup_field", "pk")
        return f"<public_id:{lookup_prefix}{lookup_url_kwarg}>"
