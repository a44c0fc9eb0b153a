"""API authentication: ``Authorization: Bearer <token>`` with Accord's personal API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accord.core.models import ApiToken, User
from accord.core.ratelimit import client_ip, login_locked
from accord.core.services import token_authenticate

__all__ = ["BearerTokenAuthentication", "ThrottledModelBackend"]


class ThrottledModelBackend(ModelBackend):
    """Django's password check, refused outright while the account or the address is locked
    for failing too often (:func:`accord.core.ratelimit.login_locked`): the right password
    does not get through a lock either. Every sign-in goes through it, the admin's included."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if request is not None and login_locked(str(username or ""), client_ip(request)):
            raise PermissionDenied("Too many failed sign-ins.")
        return super().authenticate(request, username=username, password=password, **kwargs)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """RFC 6750 bearer tokens. A present but unusable token is a 401, never a silent anonymous."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, credential = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        credential = credential.strip()
        if not credential or " " in credential:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: expected 'Bearer <token>'.")
        token = token_authenticate(credential)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API token.")
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="accord"'


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Describes the bearer scheme in the OpenAPI document."""

    target_class = "accord.core.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "An Accord API token (acc_…)."}
