"""Template context shared by every page: the navigation the person's role may use."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from accord.core.roles import Perm, has_perm
from accord.interception.directory import directory_open

__all__ = ["navigation"]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        public = [
            ("Our partners", reverse("partners:directory")),
            ("Become a partner", reverse("partners:apply")),
            ("Log in", reverse("web:login")),
        ]
        return {"nav": _mark(request.path, public)}
    if getattr(request, "second_factor_pending", ""):  # signed in halfway: nothing else is reachable
        return {"nav": []}
    items = [
        ("Dashboard", reverse("web:dashboard")),
        ("Organisations", reverse("web:organisation-list")),
    ]
    if has_perm(user, Perm.ORGANISATION_VIEW_ALL):
        items.append(("Applications", reverse("partners:application-list")))
    if has_perm(user, Perm.SHARING_SUBMIT):
        items.append(("Share data", reverse("sharing:submit")))
    if has_perm(user, Perm.SHARING_READ):
        items.append(("Shared data", reverse("sharing:object-list")))
        items.append(("TAXII", reverse("taxii-ui:collection-list")))
        items.append(("Observables", reverse("enrichment:observable-list")))
        items.append(("Analysis", reverse("analysis:home")))
    if has_perm(user, Perm.ORGANISATION_VIEW_ALL):
        items.append(("Enrichers", reverse("enrichment:enricher-list")))
    items += [
        ("Agreements", reverse("partners:agreement-list")),
        ("Secondment & training", reverse("programme:home")),
        ("Governance", reverse("governance:group-list")),
        ("Operations", reverse("operations:operation-list")),
        ("Interception", reverse("interception:interception-list")),
    ]
    may_bank_directory = directory_open(user)
    if may_bank_directory:
        items.append(("Bank directory", reverse("interception:bank-directory")))
    items += [
        ("People", reverse("web:person-list")),
        ("Webhooks", reverse("notifications:webhook-list")),
        ("API tokens", reverse("web:token-list")),
        ("Second factor", reverse("web:second-factor")),
    ]
    if has_perm(user, Perm.PLATFORM_ADMIN):
        items.append(("Feeds", reverse("feeds:feed-list")))
    if has_perm(user, Perm.AUDIT_VIEW):
        items.append(("Audit", reverse("web:audit-list")))
    items.append(("API docs", reverse("api-docs")))
    if user.is_staff:
        items.append(("Admin", reverse("admin:index")))
    return {"nav": _mark(request.path, items), "may_bank_directory": may_bank_directory}


def _mark(path: str, items: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [
        {"label": label, "url": url, "current": path.startswith(url) and (url != "/" or path == "/")}
        for label, url in items
    ]
