"""What the analysis API's views and serializers share: the asker's policy context, and the
fields only host staff are shown."""

from __future__ import annotations

from typing import Any, ClassVar

from accord.core.viewsets import principal_of
from accord.policy import principal_context

__all__ = [
    "HostOnlyFields",
    "PrincipalContextMixin",
]


class PrincipalContextMixin:
    """Puts the asker's policy context in the serializer context (``ctx``), so serializers show
    host staff what partners may not learn (totals that count objects they may not see)."""

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())  # type: ignore[misc]
        request = getattr(self, "request", None)
        if not getattr(self, "swagger_fake_view", False) and request is not None and request.user.is_authenticated:
            context["ctx"] = principal_context(principal_of(request))
        return context


class HostOnlyFields:
    """Serializer mixin: ``host_only_fields`` are left out for anyone but host staff."""

    host_only_fields: ClassVar[tuple[str, ...]] = ()
    context: dict[str, Any]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)  # type: ignore[misc]
        ctx = self.context.get("ctx")
        if ctx is None or not ctx.is_host:
            for field in self.host_only_fields:
                data.pop(field, None)
        return data
