"""The API's permission gate: role capabilities and, for token requests, token scopes."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from accord.core.choices import TokenScope
from accord.core.models import ApiToken
from accord.core.roles import Perm, has_perm

__all__ = ["RolePermission", "token_has_scope"]


def token_has_scope(auth: Any, scope: str) -> bool:
    """Session requests carry no token and are bounded by the role alone."""
    return not isinstance(auth, ApiToken) or scope in auth.scopes


class RolePermission(permissions.BasePermission):
    """Authenticated, active people only; then the view's declared needs.

    A view declares ``action_perms = {"create": Perm.X, "document.post": Perm.Y}`` for role
    capabilities (``action.method`` when one action answers several methods). A token
    needs the ``read`` scope for safe methods, ``write`` for the others, and ``admin`` for an
    action that needs the platform administrator's capability.
    """

    message = "Your role or token does not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        action = getattr(view, "action", None) or (request.method or "get").lower()
        perms = getattr(view, "action_perms", {})
        needed: Perm | None = perms.get(f"{action}.{(request.method or 'get').lower()}", perms.get(action))
        if needed == Perm.PLATFORM_ADMIN:
            scope = TokenScope.ADMIN
        elif request.method in permissions.SAFE_METHODS:
            scope = TokenScope.READ
        else:
            scope = TokenScope.WRITE
        if not token_has_scope(request.auth, scope):
            self.message = f"This API token lacks the '{scope}' scope."
            return False
        if needed is not None and not has_perm(user, needed):
            self.message = f"Your role ({user.role}) does not allow this ({needed})."
            return False
        return True
