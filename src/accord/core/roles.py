"""What each role may do: the capability matrix, kept as data in one place.

Views, API permissions, selectors and services ask :func:`has_perm`; nothing else compares
role names. ``docs/roles.md`` explains the matrix and ``accord roles`` prints it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from accord.core.choices import Role, TokenScope

if TYPE_CHECKING:
    from accord.core.models import User

__all__ = ["ROLE_PERMS", "Perm", "allowed_scopes", "has_perm", "perms_of"]


class Perm(StrEnum):
    """A capability. The first part names the area it governs."""

    ORGANISATION_VIEW_ALL = "organisation.view_all"
    ORGANISATION_MANAGE = "organisation.manage"
    PERSON_VIEW_ALL = "person.view_all"
    PERSON_MANAGE = "person.manage"
    AUDIT_VIEW = "audit.view"
    PARTNERSHIP_MANAGE = "partnership.manage"
    SHARING_SUBMIT = "sharing.submit"
    SHARING_READ = "sharing.read"
    ANALYSIS_WORK = "analysis.work"
    PROGRAMME_MANAGE = "programme.manage"
    PROGRAMME_CONTRIBUTE = "programme.contribute"
    GOVERNANCE_MANAGE = "governance.manage"
    PLATFORM_ADMIN = "platform.admin"


_HOST_READ = {Perm.ORGANISATION_VIEW_ALL, Perm.PERSON_VIEW_ALL, Perm.SHARING_READ}

ROLE_PERMS: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.PROGRAMME_MANAGER: frozenset(
        _HOST_READ
        | {
            Perm.ORGANISATION_MANAGE,
            Perm.PERSON_MANAGE,
            Perm.PARTNERSHIP_MANAGE,
            Perm.PROGRAMME_MANAGE,
            Perm.GOVERNANCE_MANAGE,
            Perm.SHARING_SUBMIT,
        }
    ),
    Role.ANALYST: frozenset(_HOST_READ | {Perm.ANALYSIS_WORK, Perm.SHARING_SUBMIT}),
    Role.AUDITOR: frozenset(_HOST_READ | {Perm.AUDIT_VIEW}),
    # Partner staff manage their own organisation's experts, officers and nominations.
    Role.PARTNER_CONTRIBUTOR: frozenset({Perm.SHARING_SUBMIT, Perm.SHARING_READ, Perm.PROGRAMME_CONTRIBUTE}),
    Role.PARTNER_READER: frozenset({Perm.SHARING_READ}),
}

ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.ADMIN: "Runs the platform: everything, including people, tokens and the Django admin.",
    Role.PROGRAMME_MANAGER: "Manages partners, agreements, people, secondments, training and governance.",
    Role.ANALYST: "Works the shared intelligence: correlation, campaigns, reports.",
    Role.AUDITOR: "Reads everything and the audit chain; changes nothing.",
    Role.PARTNER_CONTRIBUTOR: "Partner staff who submit data and read what their agreement allows.",
    Role.PARTNER_READER: "Partner staff who read what their agreement allows.",
}


def perms_of(role: str) -> frozenset[Perm]:
    """The capabilities of a role (none for an unknown one)."""
    try:
        return ROLE_PERMS[Role(role)]
    except ValueError:
        return frozenset()


def has_perm(user: User | Any, perm: Perm) -> bool:
    """Whether an authenticated, active person's role grants ``perm``."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return perm in perms_of(user.role)


def allowed_scopes(role: str) -> frozenset[TokenScope]:
    """Token scopes a role may hold: ``write`` needs a role that changes something,
    ``admin`` needs the platform administrator."""
    perms = perms_of(role)
    scopes = {TokenScope.READ, TokenScope.TAXII}
    if perms - {Perm.SHARING_READ, Perm.ORGANISATION_VIEW_ALL, Perm.PERSON_VIEW_ALL, Perm.AUDIT_VIEW}:
        scopes.add(TokenScope.WRITE)
    if Perm.PLATFORM_ADMIN in perms:
        scopes.add(TokenScope.ADMIN)
    return frozenset(scopes)
