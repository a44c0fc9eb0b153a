"""The confidence score of an observable (0–100), from what the asker may see.

    score = 100 × (1 − Π (1 − wᵢ)) × 0.5 ^ (age / half-life of the type)

- one factor ``wᵢ`` per *independent* source: each organisation whose live objects mention the
  value, weighted by the best of its objects: ``reliability(grade) × credibility(rating)``;
- one factor per organisation that sighted the value and did not report it: ``SIGHTING_WEIGHT``;
- ``age``: days since the value was last reported or sighted; the half-life depends on the
  type (addresses change hands within weeks, hashes stay bad for years) and is configurable
  (``ACCORD_SCORE_HALF_LIFE_DAYS``).

Independent sources combine like independent pieces of evidence (noisy-OR): two B/2 sources
(0.64 each) give 0.87, where one gives 0.64. See ``docs/analysis.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Max

from accord.analysis.models import Sighting
from accord.analysis.selectors import sighting_list
from accord.core.choices import ReliabilityGrade
from accord.core.models import User
from accord.policy import Action, principal_context, source_nameable, visible, withheld_links
from accord.sharing.models import ObjectObservable, Observable, StixObject

__all__ = ["CREDIBILITY", "RELIABILITY", "SIGHTING_WEIGHT", "Score", "observable_score"]

# Admiralty (NATO 4x4) source reliability and information credibility, as weights.
RELIABILITY = {"A": 0.95, "B": 0.8, "C": 0.6, "D": 0.4, "X": 0.3}
CREDIBILITY = {1: 1.0, 2: 0.8, 3: 0.6, 4: 0.4, None: 0.7}
SIGHTING_WEIGHT = 0.3

DEFAULT_HALF_LIFE_DAYS = {
    "ipv4": 30,
    "ipv6": 30,
    "domain": 90,
    "url": 60,
    "email": 180,
    "phone": 180,
    "md5": 365,
    "sha1": 365,
    "sha256": 365,
    "iban": 365,
    "btc": 365,
    "eth": 365,
    "xmr": 365,
}

assert set(RELIABILITY) == set(ReliabilityGrade.values)  # noqa: S101 - every grade has a weight


def half_life_days(kind: str) -> float:
    """The configured half-life of a type (``ACCORD_SCORE_HALF_LIFE_DAYS`` overrides the defaults)."""
    return float({**DEFAULT_HALF_LIFE_DAYS, **settings.ACCORD_SCORE_HALF_LIFE_DAYS}.get(kind, 90))


@dataclass
class Score:
    """A score with what made it, for the explanation shown next to it."""

    score: int
    corroboration: float
    decay: float
    age_days: float
    half_life_days: float
    sources: list[dict[str, Any]] = field(default_factory=list)
    sightings: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "corroboration": round(self.corroboration, 4),
            "decay": round(self.decay, 4),
            "age_days": round(self.age_days, 1),
            "half_life_days": self.half_life_days,
            "sources": self.sources,
            "sightings": self.sightings,
            "formula": "100 × (1 − Π(1 − w)) × 0.5^(age / half-life)",
        }


def observable_score(*, principal: User, observable: Observable, now: datetime | None = None) -> Score:
    """The score of ``observable`` counting only the objects and sightings the principal may see."""
    ctx = principal_context(principal, now)
    # A source counts where its object mentions the value and does not withhold it from the asker.
    withheld = ObjectObservable.objects.filter(withheld_links(ctx), observable=observable)
    live = StixObject.objects.filter(links__observable=observable, revoked=False).exclude(
        pk__in=withheld.values("stix_object_id")
    )
    seen = (
        visible(ctx, live, Action.CORRELATE)
        .select_related("organisation", "agreement__current_version")
        .annotate(source_named=source_nameable(ctx))
    )
    best: dict[int, tuple[float, StixObject]] = {}
    named: set[int] = set()
    last: datetime | None = None
    for obj in seen:
        if obj.source_named:
            named.add(obj.pk)
        weight = RELIABILITY.get(obj.reliability, 0.3) * CREDIBILITY.get(obj.credibility, 0.7)
        if obj.organisation_id not in best or weight > best[obj.organisation_id][0]:
            best[obj.organisation_id] = (weight, obj)
        last = obj.modified if last is None or obj.modified > last else last
    sighted = (
        Sighting.objects.filter(observable=observable, pk__in=sighting_list(principal=principal).values("pk"))
        .exclude(organisation_id__in=list(best))
        .values("organisation_id")
        .annotate(latest=Max("last_seen"))
    )
    sighting_orgs = list(sighted)
    for row in sighting_orgs:
        last = row["latest"] if last is None or row["latest"] > last else last
    miss = 1.0
    sources = []
    for weight, source in sorted(best.values(), key=lambda item: -item[0]):
        miss *= 1 - weight
        sources.append(
            {
                "organisation": source.organisation.name if source.pk in named else None,
                "reliability": source.reliability,
                "credibility": source.credibility,
                "weight": round(weight, 3),
            }
        )
    miss *= (1 - SIGHTING_WEIGHT) ** len(sighting_orgs)
    corroboration = 1 - miss
    age = max((ctx.now - last).total_seconds() / 86400, 0.0) if last else 0.0
    half_life = half_life_days(observable.type)
    decay = 0.5 ** (age / half_life) if last else 0.0
    return Score(
        score=round(100 * corroboration * decay),
        corroboration=corroboration,
        decay=decay,
        age_days=age,
        half_life_days=half_life,
        sources=sources,
        sightings=len(sighting_orgs),
    )
