"""Every change to core state: organisations, people, API tokens.

Each service is keyword-only, atomic, checks the actor's role, enforces the business rules
and writes one audit event. API views, UI views and CLI commands call these and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accord.core.audit import audit_record
from accord.core.choices import (
    ContributionArea,
    OrganisationKind,
    OrganisationStatus,
    ReliabilityGrade,
    Role,
    Sector,
    TokenScope,
)
from accord.core.errors import Conflict, ValidationFailed
from accord.core.guards import one_of, require
from accord.core.models import ApiToken, Organisation, User
from accord.core.prepared import Prepared
from accord.core.regions import COUNTRY_REGION, region_for
from accord.core.roles import Perm, allowed_scopes

__all__ = [
    "IssuedToken",
    "host_ensure",
    "organisation_create",
    "organisation_set_status",
    "organisation_update",
    "person_create",
    "person_set_password",
    "person_update",
    "token_authenticate",
    "token_issue",
    "token_revoke",
]

MAX_TOKEN_DAYS = 366
ORGANISATION_FIELDS = (
    "name",
    "short_name",
    "kind",
    "sector",
    "country",
    "reliability",
    "website",
    "description",
    "contribution_areas",
    "listed_publicly",
)
PERSON_FIELDS = ("email", "first_name", "last_name", "job_title", "role", "is_active")


def _check_organisation(values: dict[str, Any]) -> None:
    if not str(values.get("name", "")).strip():
        raise ValidationFailed("name: an organisation needs a name.", details={"name": ["This field is required."]})
    one_of("kind", values.get("kind"), OrganisationKind)
    one_of("sector", values.get("sector"), Sector, blank=True)
    one_of("status", values.get("status"), OrganisationStatus)
    one_of("reliability", values.get("reliability"), ReliabilityGrade)
    if values.get("country") not in COUNTRY_REGION:
        raise ValidationFailed(
            f"country: '{values.get('country')}' is not an ISO 3166-1 alpha-2 code.",
            details={"country": ["Expected an ISO 3166-1 alpha-2 code, e.g. KE, BR, SG, FR, JO."]},
        )
    for area in values.get("contribution_areas") or []:
        one_of("contribution_areas", area, ContributionArea)
    if values["kind"] == OrganisationKind.PRIVATE and not values.get("sector"):
        raise ValidationFailed(
            "sector: a private organisation needs a sector.",
            details={"sector": [f"Required for private organisations; one of: {', '.join(Sector.values)}."]},
        )


def _unique_name(name: str, *, exclude: int | None = None) -> None:
    clash = Organisation.objects.filter(name__iexact=name.strip())
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise Conflict(f"name: an organisation called '{name}' already exists.", details={"name": ["Already taken."]})


@transaction.atomic
def organisation_create(
    *,
    actor: User | None,
    name: str,
    kind: str,
    country: str,
    sector: str = "",
    short_name: str = "",
    status: str = OrganisationStatus.APPLICANT,
    reliability: str = ReliabilityGrade.X,
    website: str = "",
    description: str = "",
    contribution_areas: list[str] | None = None,
    listed_publicly: bool = False,
    is_host: bool = False,
) -> Organisation:
    """Register an organisation; its region follows from its country."""
    require(actor, Perm.ORGANISATION_MANAGE)
    if not is_host and status not in (OrganisationStatus.APPLICANT, OrganisationStatus.VETTING):
        raise ValidationFailed(
            f"status: a new organisation starts as applicant or vetting, not {status}; it becomes active "
            "when it holds an active agreement.",
            details={"status": ["One of: applicant, vetting."]},
        )
    values = {
        "name": name,
        "kind": kind,
        "sector": sector,
        "country": country.upper(),
        "status": status,
        "reliability": reliability,
    }
    _check_organisation(values | {"contribution_areas": contribution_areas or []})
    _unique_name(name)
    organisation = Organisation(
        name=name.strip(),
        short_name=short_name,
        kind=kind,
        sector=sector or "",
        country=country.upper(),
        region=region_for(country),
        status=status,
        reliability=reliability,
        website=website,
        description=description,
        contribution_areas=sorted(set(contribution_areas or [])),
        listed_publicly=listed_publicly,
        is_host=is_host,
    )
    _full_clean(organisation)
    organisation.save()
    audit_record(
        actor=actor,
        action="organisation.create",
        obj=organisation,
        organisation=organisation,
        details=_snapshot(organisation, ORGANISATION_FIELDS),
    )
    return organisation


@transaction.atomic
def organisation_update(
    *, actor: User | None, organisation: Organisation, justification: str = "", **changes: Any
) -> Organisation:
    """Change an organisation's details; the audit event records each field's old and new value."""
    require(actor, Perm.ORGANISATION_MANAGE)
    if "status" in changes:
        raise ValidationFailed(
            "status: an organisation's status follows its agreements; suspend, reinstate or terminate "
            "the partnership instead (/api/v1/partnerships/<id>/…).",
            details={"status": ["Not editable here."]},
        )
    unknown = set(changes) - set(ORGANISATION_FIELDS)
    if unknown:
        raise ValidationFailed(
            f"Unknown field(s): {', '.join(sorted(unknown))}.", details={f: ["Unknown field."] for f in sorted(unknown)}
        )
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = _snapshot(organisation, ORGANISATION_FIELDS)
    if "country" in changes:
        changes["country"] = str(changes["country"]).upper()
    values = {**before, **changes, "status": organisation.status}
    _check_organisation(values)
    if "name" in changes:
        _unique_name(changes["name"], exclude=organisation.pk)
    for field, value in changes.items():
        setattr(organisation, field, value)
    organisation.region = region_for(organisation.country)
    _full_clean(organisation)
    organisation.save()
    diff = {f: [before[f], values[f]] for f in changes if before[f] != values[f]}
    if diff:
        audit_record(
            actor=actor,
            action="organisation.update",
            obj=organisation,
            organisation=organisation,
            details={"changes": diff},
            justification=justification,
        )
    return organisation


@transaction.atomic
def organisation_set_status(
    *, actor: User | None, organisation: Organisation, status: str, reason: str = ""
) -> Organisation:
    """Move an organisation to another partnership status, with the reason in the audit chain.

    Called by the partnership services, which decide when (agreements in force, sanctions).
    """
    require(actor, Perm.PARTNERSHIP_MANAGE)
    one_of("status", status, OrganisationStatus)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.status == status:
        return organisation
    before = organisation.status
    organisation.status = status
    organisation.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="organisation.status",
        obj=organisation,
        organisation=organisation,
        details={"from": before, "to": status},
        justification=reason,
    )
    return organisation


@transaction.atomic
def host_ensure(*, name: str, country: str, short_name: str = "") -> Organisation:
    """The hosting organisation, created on first call (``accord init``); idempotent."""
    host = Organisation.objects.filter(is_host=True).first()
    if host is not None:
        return host
    return organisation_create(
        actor=None,
        name=name,
        short_name=short_name,
        kind=OrganisationKind.INTERNATIONAL_ORG,
        country=country,
        status=OrganisationStatus.ACTIVE,
        reliability=ReliabilityGrade.A,
        is_host=True,
    )


def _check_role_for_organisation(role: str, organisation: Organisation) -> None:
    one_of("role", role, Role)
    partner_role = role in {Role.PARTNER_CONTRIBUTOR, Role.PARTNER_READER}
    if organisation.is_host and partner_role:
        raise ValidationFailed(
            f"role: '{role}' is for partner staff; people of the hosting organisation take "
            "admin, programme_manager, analyst or auditor.",
            details={"role": ["Not a role for the hosting organisation."]},
        )
    if not organisation.is_host and not partner_role:
        raise ValidationFailed(
            f"role: '{role}' is for staff of the hosting organisation; people of {organisation.name} "
            "take partner_contributor or partner_reader.",
            details={"role": ["Allowed here: partner_contributor, partner_reader."]},
        )


@transaction.atomic
def person_create(
    *,
    actor: User | None,
    organisation: Organisation,
    username: str,
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    job_title: str = "",
    password: str | None = None,
) -> User:
    """Add a person to an organisation with a role suited to it.

    Without a password the account cannot log in until one is set (an invitation, later).
    """
    require(actor, Perm.PERSON_MANAGE)
    _check_role_for_organisation(role, organisation)
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(f"username: '{username}' is taken.", details={"username": ["Already taken."]})
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(f"email: '{email}' already belongs to someone.", details={"email": ["Already in use."]})
    person = User(
        username=username,
        email=email,
        role=role,
        organisation=organisation,
        first_name=first_name,
        last_name=last_name,
        job_title=job_title,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if password:
        _validate_password(password, person)
        person.set_password(password)
    else:
        person.set_unusable_password()
    _full_clean(person, exclude=["password"])
    person.save()
    audit_record(
        actor=actor,
        action="person.create",
        obj=person,
        organisation=organisation,
        details={"username": username, "role": role, "organisation": organisation.name},
    )
    return person


@transaction.atomic
def person_update(*, actor: User | None, person: User, justification: str = "", **changes: Any) -> User:
    """Change a person's details, role or active flag (deactivating ends their sessions' use)."""
    require(actor, Perm.PERSON_MANAGE)
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationFailed(
            f"Unknown field(s): {', '.join(sorted(unknown))}.", details={f: ["Unknown field."] for f in sorted(unknown)}
        )
    person = User.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=person.pk)
    if (
        actor is not None
        and person.pk == actor.pk
        and (changes.get("is_active") is False or changes.get("role", person.role) != person.role)
    ):
        raise ValidationFailed(
            "You cannot deactivate yourself or change your own role.", details={"role": ["Ask another administrator."]}
        )
    before = _snapshot(person, PERSON_FIELDS)
    if "role" in changes:
        _check_role_for_organisation(changes["role"], person.organisation)
        person.is_staff = person.is_superuser = changes["role"] == Role.ADMIN
    if "email" in changes and User.objects.filter(email__iexact=changes["email"]).exclude(pk=person.pk).exists():
        raise Conflict(
            f"email: '{changes['email']}' already belongs to someone.", details={"email": ["Already in use."]}
        )
    for field, value in changes.items():
        setattr(person, field, value)
    _full_clean(person, exclude=["password"])
    person.save()
    diff = {f: [before[f], getattr(person, f)] for f in changes if before[f] != getattr(person, f)}
    if diff:
        audit_record(
            actor=actor,
            action="person.update",
            obj=person,
            organisation=person.organisation,
            details={"changes": diff},
            justification=justification,
        )
    return person


@transaction.atomic
def person_set_password(*, actor: User | None, person: User, password: str) -> None:
    """Set a person's password after the configured validators accept it."""
    if actor is not None and actor.pk != person.pk:
        require(actor, Perm.PERSON_MANAGE)
    _validate_password(password, person)
    person.set_password(password)
    person.save(update_fields=["password"])
    audit_record(actor=actor, action="person.set_password", obj=person, organisation=person.organisation)


@dataclass(frozen=True)
class IssuedToken:
    """A newly issued token: ``secret`` is the full token string, shown once and never stored."""

    token: ApiToken
    secret: str


def _hash_secret(secret: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough: no dictionary to resist.
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def token_issue(*, actor: User | None, user: User, name: str, scopes: list[str], days: int = 90) -> IssuedToken:
    """Issue an API token for ``user`` (oneself, or anyone for a platform administrator)."""
    if actor is not None and actor.pk != user.pk:
        require(actor, Perm.PLATFORM_ADMIN)
    if not user.is_active:
        raise ValidationFailed(f"user: {user.username} is deactivated.", details={"user": ["Inactive."]})
    if not name.strip():
        raise ValidationFailed("name: give the token a name (what it is for).", details={"name": ["Required."]})
    scopes = sorted(set(scopes))
    if not scopes:
        raise ValidationFailed(
            "scopes: name at least one scope.", details={"scopes": [f"One or more of: {', '.join(TokenScope.values)}."]}
        )
    for scope in scopes:
        one_of("scopes", scope, TokenScope)
    permitted = allowed_scopes(user.role)
    refused = [s for s in scopes if s not in permitted]
    if refused:
        raise ValidationFailed(
            f"scopes: the role {user.role} cannot hold {', '.join(refused)}; allowed: {', '.join(sorted(permitted))}.",
            details={"scopes": [f"Allowed for this role: {', '.join(sorted(permitted))}."]},
        )
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationFailed(
            f"days: a token lives 1 to {MAX_TOKEN_DAYS} days.", details={"days": [f"Between 1 and {MAX_TOKEN_DAYS}."]}
        )
    key_id = secrets.token_hex(6)
    secret = f"{ApiToken.PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        key_id=key_id,
        secret_hash=_hash_secret(secret),
        scopes=scopes,
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit_record(
        actor=actor,
        action="token.issue",
        obj=token,
        organisation=user.organisation,
        details={
            "user": user.username,
            "prefix": token.prefix,
            "scopes": scopes,
            "expires_at": token.expires_at.isoformat(),
        },
    )
    return IssuedToken(token=token, secret=secret)


@transaction.atomic
def token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    """Revoke a token at once; revoking twice is harmless."""
    if actor is not None and actor.pk != token.user_id:
        require(actor, Perm.PLATFORM_ADMIN)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="token.revoke",
            obj=token,
            organisation=token.user.organisation,
            details={"prefix": token.prefix},
        )
    return token


LAST_USED_RESOLUTION = timedelta(minutes=1)


_KEY_ID = re.compile(r"[0-9a-f]{12}")
# Read on every API and TAXII request: compiled once per process.
_TOKEN_BY_KEY = Prepared(
    ApiToken,
    lambda key_id: ApiToken.objects.select_related("user", "user__organisation").filter(key_id=key_id),
    key_id=ApiToken._meta.get_field("key_id"),
)


def token_authenticate(raw: str) -> ApiToken | None:
    """The live token for a presented secret, or ``None``; marks it used (at most once a minute).

    Unknown, expired and revoked tokens all give ``None``; the caller answers 401.
    """
    prefix = ApiToken.PREFIX
    if not raw.startswith(prefix) or len(raw) < len(prefix) + 14:
        return None
    key_id = raw[len(prefix) : len(prefix) + 12]
    if not _KEY_ID.fullmatch(key_id):  # as issued (hex); anything else is no token, not a query
        return None
    token = _TOKEN_BY_KEY.first(key_id=key_id)
    if token is None or not hmac.compare_digest(token.secret_hash, _hash_secret(raw)):
        return None
    now = timezone.now()
    if token.state_at(now) != "active" or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        _note_use(token, now)
    return token


def _note_use(token: ApiToken, now: datetime) -> None:
    """Record when the token was last used, if the database takes it at once. It is
    bookkeeping: a request must never wait or fail for it. On SQLite, while a long ingest holds
    the one write lock, the update would wait out the busy timeout and then fail the request
    (``database is locked``); it is skipped instead, and a later request records it. (Inside a
    transaction the lock is held already: nothing to wait for.)"""
    try:
        with _without_waiting():
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    except DatabaseError:  # locked, read-only, full: a later request records it
        return
    token.last_used_at = now


@contextmanager
def _without_waiting() -> Iterator[None]:
    """On SQLite, a write that finds the database locked fails at once instead of waiting. The
    busy timeout is a setting of the connection, set on the driver's own connection."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        yield
    finally:
        waited = float(connection.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        raw.execute(f"PRAGMA busy_timeout = {int(waited * 1000)}")


def _snapshot(instance: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {field: getattr(instance, field) for field in fields}


def _validate_password(password: str, person: User) -> None:
    try:
        validate_password(password, person)
    except DjangoValidationError as exc:
        raise ValidationFailed(f"password: {' '.join(exc.messages)}", details={"password": exc.messages}) from exc


def _full_clean(instance: Any, exclude: list[str] | None = None) -> None:
    try:
        instance.full_clean(exclude=exclude, validate_unique=False)
    except DjangoValidationError as exc:
        details = exc.message_dict
        field, messages = next(iter(details.items()))
        raise ValidationFailed(f"{field}: {' '.join(messages)}", details=details) from exc
