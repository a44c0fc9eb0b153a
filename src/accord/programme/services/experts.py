"""Skills, experts and secondment requests."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from accord.core import guards
from accord.core.audit import audit_record
from accord.core.choices import OrganisationKind
from accord.core.errors import Conflict
from accord.core.guards import invalid, one_of, require
from accord.core.models import Organisation, User
from accord.core.roles import Perm
from accord.partners.services import _create_numbered
from accord.programme.choices import (
    ClearanceLevel,
    RequestStatus,
    SecondmentPurpose,
)
from accord.programme.models import (
    Expert,
    SecondmentRequest,
    Skill,
)
from accord.programme.services._common import (
    _clean_languages,
    _clean_skills,
    _clean_windows,
    _may_act_for,
    _text,
    _today,
)
from accord.programme.services.secondments import (
    _check_duration,
)

# --- Skills and experts ---------------------------------------------------------------------------


@transaction.atomic
def skill_create(*, actor: User | None, code: str, label: str, description: str = "") -> Skill:
    """Add a term to the managed skills vocabulary (programme managers)."""
    require(actor, Perm.PROGRAMME_MANAGE)
    code = slugify(_text("code", code, "a short code")).replace("-", "_")
    if not code:
        raise invalid("code", "a skill code needs letters or digits.", "e.g. cloud_forensics.")
    label = _text("label", label, "a label")
    if Skill.objects.filter(code=code).exists() or Skill.objects.filter(label__iexact=label).exists():
        raise Conflict(f"code: the skill '{code}' ({label}) exists already.", details={"code": ["Exists."]})
    skill = Skill.objects.create(code=code, label=label, description=description.strip())
    audit_record(actor=actor, action="skill.create", obj=skill, details={"code": code, "label": label})
    return skill


def _expert_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise the fields of an expert profile present in ``data``."""
    clean: dict[str, Any] = {}
    if "full_name" in data:
        clean["full_name"] = _text("full_name", data["full_name"], "the expert's name")
    if "email" in data:
        clean["email"] = _text("email", data["email"], "the expert's e-mail address")
    if "job_title" in data:
        clean["job_title"] = (data["job_title"] or "").strip()
    if "skills" in data:
        clean["skills"] = _clean_skills("skills", data["skills"])
    if "languages" in data:
        clean["languages"] = _clean_languages("languages", data["languages"])
    if "availability" in data:
        clean["availability"] = _clean_windows("availability", data["availability"])
    if "clearance_level" in data:
        one_of("clearance_level", data["clearance_level"], ClearanceLevel)
        clean["clearance_level"] = data["clearance_level"]
    if "clearance_expires" in data:
        clean["clearance_expires"] = data["clearance_expires"]
    if "is_active" in data:
        clean["is_active"] = bool(data["is_active"])
    if "person" in data:
        clean["person"] = data["person"]
    return clean


def _check_clearance(level: str, expires: date | None) -> None:
    if level != ClearanceLevel.NONE and expires is None:
        raise invalid("clearance_expires", f"a {level} clearance needs its expiry date.", "YYYY-MM-DD.")


@transaction.atomic
def expert_create(
    *,
    actor: User | None,
    organisation: Organisation,
    full_name: str,
    email: str,
    skills: dict[str, int],
    languages: list[dict[str, str]] | None = None,
    clearance_level: str = ClearanceLevel.NONE,
    clearance_expires: date | None = None,
    availability: list[dict[str, str]] | None = None,
    job_title: str = "",
    person: User | None = None,
) -> Expert:
    """Add an expert profile to an organisation: its own contributors, or a programme manager."""
    _may_act_for(actor, organisation)
    if organisation.kind == OrganisationKind.INTERNATIONAL_ORG and organisation.is_host:
        raise invalid("organisation", "experts are seconded by partners or national units, not the host.")
    if person is not None and person.organisation_id != organisation.pk:
        raise invalid("person", f"{person.username} is not of {organisation.name}.")
    fields = _expert_fields(
        {
            "full_name": full_name,
            "email": email,
            "job_title": job_title,
            "skills": skills,
            "languages": languages or [],
            "availability": availability or [],
            "clearance_level": clearance_level,
            "clearance_expires": clearance_expires,
        }
    )
    _check_clearance(fields["clearance_level"], fields["clearance_expires"])
    expert = Expert.objects.create(organisation=organisation, person=person, **fields)
    audit_record(
        actor=actor,
        action="expert.create",
        obj=expert,
        organisation=organisation,
        details={"name": expert.full_name, "skills": expert.skills, "clearance": expert.clearance_level},
    )
    return expert


@transaction.atomic
def expert_update(*, actor: User | None, expert: Expert, **changes: Any) -> Expert:
    """Change an expert's profile (skills, languages, clearance, availability, activity)."""
    expert = Expert.objects.select_for_update().get(pk=expert.pk)
    _may_act_for(actor, expert.organisation)
    unknown = set(changes) - {
        "full_name",
        "email",
        "job_title",
        "skills",
        "languages",
        "availability",
        "clearance_level",
        "clearance_expires",
        "is_active",
    }
    if unknown:
        raise invalid(sorted(unknown)[0], "is not a field of an expert profile.")
    fields = _expert_fields(changes)
    level = fields.get("clearance_level", expert.clearance_level)
    expires = fields.get("clearance_expires", expert.clearance_expires)
    _check_clearance(level, expires)
    for name, value in fields.items():
        setattr(expert, name, value)
    if "clearance_expires" in fields:
        expert.clearance_warned_for = None  # a renewed clearance is warned about afresh
    expert.save()
    audit_record(
        actor=actor,
        action="expert.update",
        obj=expert,
        organisation=expert.organisation,
        details={name: (str(value) if isinstance(value, date) else value) for name, value in fields.items()},
    )
    return expert


# --- Secondment requests --------------------------------------------------------------------------


@transaction.atomic
def request_create(
    *,
    actor: User | None,
    title: str,
    unit: str,
    project: str,
    purpose: str,
    location_city: str,
    location_country: str,
    start: date,
    end: date,
    required_skills: dict[str, int],
    languages: list[dict[str, str]] | None = None,
    clearance: str = ClearanceLevel.NONE,
    description: str = "",
) -> SecondmentRequest:
    """The programme asks for an expert (programme managers)."""
    require(actor, Perm.PROGRAMME_MANAGE)
    one_of("purpose", purpose, SecondmentPurpose)
    one_of("clearance", clearance, ClearanceLevel)
    if end < start:
        raise invalid("end", f"the period ends ({end}) before it starts ({start}).", "end ≥ start.")
    if start < _today():
        raise invalid("start", f"{start} is in the past.", "Today or later.")
    _check_duration(start, end)
    request = _create_numbered(  # type: ignore[type-var]  # any model with a unique reference
        SecondmentRequest,
        "SRQ",
        title=_text("title", title, "a title"),
        unit=_text("unit", unit, "the unit"),
        project=_text("project", project, "the project or operation"),
        purpose=purpose,
        location_city=_text("location_city", location_city, "the city"),
        location_country=guards.country("location_country", location_country),
        start=start,
        end=end,
        required_skills=_clean_skills("required_skills", required_skills),
        languages=_clean_languages("languages", languages or []),
        clearance=clearance,
        description=description.strip(),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="secondment_request.create",
        obj=request,
        details={"reference": request.reference, "purpose": purpose, "start": str(start), "end": str(end)},
    )
    return request


@transaction.atomic
def request_set_status(
    *, actor: User | None, secondment_request: SecondmentRequest, status: str, reason: str = ""
) -> SecondmentRequest:
    """Close a request (or reopen it) by hand; approval of a placement fills it."""
    require(actor, Perm.PROGRAMME_MANAGE)
    one_of("status", status, RequestStatus)
    secondment_request = SecondmentRequest.objects.select_for_update().get(pk=secondment_request.pk)
    before = secondment_request.status
    if before == status:
        return secondment_request
    secondment_request.status = status
    secondment_request.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="secondment_request.status",
        obj=secondment_request,
        justification=reason,
        details={"from": before, "to": status},
    )
    return secondment_request
