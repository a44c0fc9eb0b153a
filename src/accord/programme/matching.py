"""Ranking experts for a secondment request: the score, its parts, and why.

The score is documented in ``docs/programme.md``; every candidate carries the points of each
part and the facts behind them, so a programme manager can see why one expert ranks above
another. Pure functions over rows already read: no query here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from accord.core.choices import OrganisationStatus
from accord.programme.choices import CEFR_LEVELS, ClearanceLevel
from accord.programme.models import Expert, SecondmentRequest

__all__ = ["WEIGHTS", "Candidate", "availability_days", "score_expert"]

# The most points each part of the score can give; they add up to 100.
WEIGHTS: dict[str, int] = {"skills": 45, "languages": 15, "clearance": 15, "availability": 15, "no_conflict": 10}


@dataclass
class Candidate:
    """One expert's score for one request, with each part explained."""

    expert: Expert
    score: float
    components: dict[str, dict[str, Any]]
    blockers: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        """No rule of a placement would refuse this expert for the request's whole period."""
        return not self.blockers

    @property
    def explanation(self) -> str:
        parts = [
            f"{name.replace('_', ' ')} {c['points']:g}/{c['max']} ({c['why']})" for name, c in self.components.items()
        ]
        return f"Score {self.score:g}/100: " + "; ".join(parts) + "."


def _skills(expert: Expert, request: SecondmentRequest) -> dict[str, Any]:
    # Σ m·min(1, level/m) / Σ m — a required skill weighs its minimum level; a lower level gives
    # partial credit, a missing skill none.
    required: dict[str, int] = request.required_skills
    total = sum(required.values())
    detail, earned = [], 0.0
    for code, minimum in required.items():
        level = int(expert.skills.get(code, 0))
        credit = min(1.0, level / minimum)
        earned += minimum * credit
        detail.append({"skill": code, "required": minimum, "level": level, "credit": round(credit, 4)})
    coverage = earned / total if total else 1.0
    why = ", ".join(f"{d['skill']} {d['level']}/{d['required']}" for d in detail)
    return {"coverage": round(coverage, 4), "detail": detail, "why": why, "fraction": coverage}


def _languages(expert: Expert, request: SecondmentRequest) -> dict[str, Any]:
    required = request.languages
    if not required:
        return {"detail": [], "why": "none required", "fraction": 1.0}
    spoken = {entry["language"]: entry["proficiency"] for entry in expert.languages}
    detail, credits = [], []
    for entry in required:
        have = spoken.get(entry["language"])
        if have is None:
            credit = 0.0
        elif CEFR_LEVELS.index(have) >= CEFR_LEVELS.index(entry["proficiency"]):
            credit = 1.0
        else:
            credit = 0.5
        credits.append(credit)
        detail.append(
            {"language": entry["language"], "required": entry["proficiency"], "level": have, "credit": credit}
        )
    why = ", ".join(f"{d['language']} {d['level'] or 'none'}/{d['required']}" for d in detail)
    return {"detail": detail, "why": why, "fraction": sum(credits) / len(credits)}


def _clearance(expert: Expert, request: SecondmentRequest) -> dict[str, Any]:
    if request.clearance == ClearanceLevel.NONE:
        return {"required": request.clearance, "level": expert.clearance_level, "why": "none required", "fraction": 1.0}
    enough = ClearanceLevel.rank(expert.clearance_level) >= ClearanceLevel.rank(request.clearance)
    valid = expert.clearance_valid_through(request.end)
    if not enough:
        why = f"holds {expert.clearance_level}, needs {request.clearance}"
    elif not valid:
        why = f"{expert.clearance_level} expires {expert.clearance_expires}, before {request.end}"
    else:
        why = f"{expert.clearance_level} valid until {expert.clearance_expires or 'no expiry'}"
    return {
        "required": request.clearance,
        "level": expert.clearance_level,
        "expires": expert.clearance_expires.isoformat() if expert.clearance_expires else None,
        "why": why,
        "fraction": 1.0 if enough and valid else 0.0,
    }


def availability_days(windows: list[dict[str, str]], start: date, end: date) -> int:
    """How many days from ``start`` to ``end`` (inclusive) fall in at least one window."""
    covered: set[date] = set()
    for window in windows:
        first = max(start, date.fromisoformat(window["start"]))
        last = min(end, date.fromisoformat(window["end"]))
        covered.update(first + timedelta(days=n) for n in range((last - first).days + 1))
    return len(covered)


def _availability(expert: Expert, request: SecondmentRequest) -> dict[str, Any]:
    period = (request.end - request.start).days + 1
    days = availability_days(expert.availability, request.start, request.end)
    return {
        "days_available": days,
        "days_requested": period,
        "why": f"available {days} of {period} days",
        "fraction": days / period,
    }


def _conflict(conflicts: list[Any]) -> dict[str, Any]:
    if not conflicts:
        return {"placements": [], "why": "no overlapping placement", "fraction": 1.0}
    refs = [c.reference for c in conflicts]
    return {"placements": refs, "why": f"overlaps {', '.join(refs)}", "fraction": 0.0}


def score_expert(
    expert: Expert,
    request: SecondmentRequest,
    *,
    conflicts: list[Any],
    has_agreement: bool,
    placed: list[Any] | None = None,
) -> Candidate:
    """Score one expert for a request. ``conflicts`` are the expert's placements for other
    requests overlapping the request's period (proposed, approved or active); ``placed`` the
    expert's placements for this very request (not a conflict, but nothing more to propose);
    ``has_agreement`` whether the expert's organisation holds an active secondment agreement
    covering the period."""
    parts = {
        "skills": _skills(expert, request),
        "languages": _languages(expert, request),
        "clearance": _clearance(expert, request),
        "availability": _availability(expert, request),
        "no_conflict": _conflict(conflicts),
    }
    components: dict[str, dict[str, Any]] = {}
    for name, part in parts.items():
        fraction = part.pop("fraction")
        components[name] = {"points": round(WEIGHTS[name] * fraction, 2), "max": WEIGHTS[name], **part}
    score = round(sum(c["points"] for c in components.values()), 1)
    blockers = []
    if components["clearance"]["points"] == 0:
        blockers.append(f"clearance: {components['clearance']['why']}")
    if conflicts:
        blockers.append(f"conflict: {components['no_conflict']['why']}")
    if placed:
        blockers.append(f"placed: already {placed[0].status} for this request ({placed[0].reference})")
    if expert.organisation.status != OrganisationStatus.ACTIVE:
        blockers.append(f"organisation: {expert.organisation.name} is {expert.organisation.status}")
    elif not has_agreement:
        blockers.append(f"agreement: {expert.organisation.name} has no active secondment agreement for the period")
    return Candidate(expert=expert, score=score, components=components, blockers=blockers)
