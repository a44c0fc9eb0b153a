"""The analysis app's reads, bounded by the policy: correlations, campaigns and their graphs,
exclusion lists, sightings.

Aggregates count only what the asker may see (design, policy rule 5): a partner learns that its
own observable matched other sources, is told who only where the other source's agreement allows
attribution, and hears of sources whose objects it may not see only as "others" where the policy
lets it know those objects exist; of the rest it learns nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from accord.analysis.aggregates import contribution_counts, contribution_months, trend_counts
from accord.analysis.campaign_months import new_campaigns_per_month
from accord.analysis.campaign_reads import (
    campaign_get,
    campaign_graph,
    campaign_list,
    campaign_members_seen,
    campaigns_with_members_of,
)
from accord.analysis.enabled import enabled_counts
from accord.analysis.models import (
    CampaignMember,
    Correlation,
    ExclusionList,
    IntelReport,
    ReaderCampaignMember,
    Sighting,
)
from accord.analysis.reader_campaigns import over_correlating_for_reader, reader_campaigns_refresh
from accord.analysis.reader_correlations import reader_correlation_count, reader_correlations_refresh
from accord.analysis.taxonomy import europol_tag
from accord.core.choices import Tlp
from accord.core.errors import NotFound
from accord.core.guards import invalid
from accord.core.models import Organisation, User
from accord.partners.choices import AgreementKind
from accord.partners.models import Agreement
from accord.policy import (
    Action,
    PrincipalContext,
    may_know_exists,
    may_name_source,
    principal_context,
    source_nameable,
    visible,
    withheld_links,
)
from accord.sharing.models import ObjectObservable, Observable, StixObject

__all__ = [
    "CONTRIBUTION_WEIGHTS",
    "campaign_get",
    "campaign_graph",
    "campaign_list",
    "campaigns_with_members_of",
    "campaign_members_seen",
    "correlation_detail",
    "correlation_list",
    "exclusion_list_list",
    "may_name_sighter",
    "observable_for_score",
    "trend_window",
    "report_get",
    "report_list",
    "sighting_list",
    "contributions",
    "trends",
]


def _live(ctx: PrincipalContext) -> Q:
    return Q(revoked=False) & (Q(expires_at__isnull=True) | Q(expires_at__gt=ctx.now))


def _seen_by(
    principal: User, ctx: PrincipalContext, queryset: QuerySet[StixObject] | None = None
) -> QuerySet[StixObject]:
    """The live object versions the principal may correlate."""
    base = queryset if queryset is not None else StixObject.objects.all()
    return visible(ctx, base.filter(_live(ctx)), Action.CORRELATE)


def _known_links(
    principal: User, ctx: PrincipalContext, seen: QuerySet[StixObject] | None = None, withheld: Q | None = None
) -> QuerySet[ObjectObservable]:
    """The object–observable links the principal may know of: those of live objects it may
    correlate, less the observables their originators' agreements withhold from it (``seen``
    and ``withheld``, when the caller has them already).

    The object is checked per link (``EXISTS`` on its key), not as ``IN`` a list of every
    object seen: narrowed by observable, SQLite would otherwise probe the link index once for
    each object seen."""
    objects = seen if seen is not None else _seen_by(principal, ctx)
    return ObjectObservable.objects.filter(Exists(objects.filter(pk=OuterRef("stix_object_id")))).exclude(
        withheld if withheld is not None else withheld_links(ctx)
    )


def _correlations_known(principal: User, ctx: PrincipalContext) -> QuerySet[Correlation]:
    """A partner's correlations: observables it reported itself that an object of another
    organisation it may see mentions (and may show it), known-benign ones aside; kept per
    reader (:mod:`accord.analysis.reader_correlations`) and brought up to date here."""
    reader_correlations_refresh(principal, ctx)
    # the primary's, as the kept rows' freshness is judged there (``read_from_primary``)
    return Correlation.objects.using(DEFAULT_DB_ALIAS).filter(benign="", reader_rows__reader_id=principal.pk)


def correlation_list(*, principal: User) -> QuerySet[Correlation]:
    """Observables that correlate. Host staff see them all (known-benign ones too, flagged),
    with the stored totals; a partner sees those it reported itself that another source's
    object it may see mentions.

    Each row carries what the asker may know of it, for display, filters and order:
    ``seen_organisations`` (organisations whose objects mentioning it the asker may see),
    ``seen_correlated_at`` (for a partner, when it and another source it may see had both
    reported it) and ``seen_over_correlating`` (for a partner, when more versions than the cap
    that it sees mention it: the stored flag counts every object). For host staff these are the
    stored totals; for a partner no object it may not see orders, filters, flags or dates its
    rows: they are its kept rows, computed from what it sees alone, walked in their order by
    index (``docs/decisions.md``, "Campaign and observable pages by index")."""
    ctx = principal_context(principal)
    if ctx.is_host:
        return (
            Correlation.objects.select_related("observable")
            .filter(organisation_count__gte=2)
            .annotate(
                seen_organisations=F("organisation_count"),
                seen_correlated_at=F("correlated_at"),
                seen_over_correlating=F("over_correlating"),
            )
            .order_by("-organisation_count", "-object_count", "pk")
        )
    return (
        _correlations_known(principal, ctx)
        .select_related("observable")
        .annotate(
            seen_organisations=F("reader_rows__seen_organisations"),
            seen_versions=F("reader_rows__seen_versions"),
            seen_correlated_at=F("reader_rows__seen_correlated_at"),
            seen_key=F("reader_rows__correlation_id"),
            # over the cap by the versions it sees that it may learn mention the value, never by others
            # (a comparison, not a ``When`` on the relation: that would make the join an outer one,
            # which SQLite walks from every correlation instead of the reader's rows)
            seen_over_correlating=GreaterThan(F("reader_rows__seen_versions"), settings.ACCORD_CORRELATION_CAP),
        )
        .order_by("-seen_organisations", "seen_key")
    )


@dataclass(frozen=True)
class SourceSummary:
    """One organisation's part in a correlation, as the asker may know it."""

    organisation: str | None  # None: the source may not be named to the asker
    objects: int
    first_seen: Any
    last_seen: Any
    own: bool


def correlation_detail(*, principal: User, observable_id: Any) -> dict[str, Any]:
    """Who else reported an observable, as far as the asker may know: named sources, unnamed
    ones, and a count of "others" whose objects the asker may not see but may know exist."""
    ctx = principal_context(principal)
    try:
        observable = Observable.objects.get(pk=int(observable_id))
    except (Observable.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"No observable {observable_id} (or you may not know of it).") from None
    # An object whose mention of the value its originator's agreement withholds from the asker
    # counts nowhere here, not even among the "others": the agreement does not allow that much.
    withheld = ObjectObservable.objects.filter(withheld_links(ctx), observable=observable)
    mentioning = (
        StixObject.objects.filter(links__observable=observable)
        .filter(_live(ctx))
        .exclude(pk__in=withheld.values("stix_object_id"))
    )
    seen = list(
        _seen_by(principal, ctx, mentioning)
        .select_related("organisation", "agreement__current_version")
        .annotate(source_named=source_nameable(ctx))
    )
    if not ctx.is_host and not seen:
        raise NotFound(f"No observable {observable_id} (or you may not know of it).")
    by_org: dict[int, list[StixObject]] = {}
    for obj in seen:
        by_org.setdefault(obj.organisation_id, []).append(obj)
    named = {obj.pk for obj in seen if obj.source_named}
    sources = []
    for organisation_id, objects in by_org.items():
        first = objects[0]
        sources.append(
            SourceSummary(
                organisation=first.organisation.name if first.pk in named else None,
                objects=len(objects),
                first_seen=min(o.created for o in objects),
                last_seen=max(o.modified for o in objects),
                own=organisation_id == ctx.organisation_id,
            )
        )
    seen_pks = {obj.pk for obj in seen}
    others: set[int] = set()
    correlation = Correlation.objects.filter(pk=observable.pk).first()
    # For a partner a value over-correlates when more versions than the cap that it sees mention
    # it: objects it may not see neither unlink it nor change what it is told.
    over_correlating = bool(correlation and correlation.over_correlating)
    if not ctx.is_host:
        over_correlating = correlation is not None and over_correlating_for_reader(principal, ctx, observable.pk)
    if not ctx.is_host and not over_correlating:
        hidden = (
            mentioning.exclude(pk__in=seen_pks)
            .exclude(organisation_id__in=list(by_org))
            .select_related("agreement__current_version")
        )
        others = {obj.organisation_id for obj in hidden if may_know_exists(ctx, obj)}
    sources.sort(key=lambda s: (not s.own, s.organisation is None, s.organisation or ""))
    members: QuerySet[Any] = CampaignMember.objects.filter(stix_object_id__in=seen_pks)
    if not ctx.is_host:
        reader_campaigns_refresh(principal, ctx)
        members = ReaderCampaignMember.objects.filter(campaign__reader_id=principal.pk, stix_object_id__in=seen_pks)
    return {
        "observable": observable,
        # when it was first and last reported, as far as the asker may see
        "first_seen": observable.first_seen if ctx.is_host else min((o.added_at for o in seen), default=None),
        "last_seen": observable.last_seen if ctx.is_host else max((o.added_at for o in seen), default=None),
        "correlates": len(by_org) + len(others) >= 2 and not (correlation and correlation.benign),
        "known_benign": correlation.benign if correlation else "",
        "over_correlating": over_correlating,
        "sources": sources,
        "other_sources": len(others),
        "campaigns": sorted(set(members.values_list("campaign_id", flat=True))),
    }


def exclusion_list_list(*, principal: User) -> QuerySet[ExclusionList]:
    """Local exclusion lists (host staff; they name no shared content)."""
    return ExclusionList.objects.annotate(entry_count=Count("entries")).order_by("name")


def sighting_list(*, principal: User) -> QuerySet[Sighting]:
    """Sightings the principal may know of: host staff all; a partner its own, and those of
    observables it reported (feedback on its indicators), the sighting organisation named only
    where the host shows it (see the API)."""
    ctx = principal_context(principal)
    rows = Sighting.objects.select_related("organisation").order_by("-last_seen", "-pk")
    if ctx.is_host:
        return rows
    # per sighting, by the links' observable index: not the partner's every link, hashed
    reported = ObjectObservable.objects.filter(
        observable_id=OuterRef("observable_id"), stix_object__organisation_id=ctx.organisation_id or 0
    )
    return rows.filter(Q(organisation_id=ctx.organisation_id or 0) | Exists(reported))


def may_name_sighter(ctx: PrincipalContext, sighting: Sighting) -> bool:
    """Whether the asker may learn which organisation made a sighting: host staff and the
    sighter itself always; others where the sighter's data-sharing agreement allows attribution."""
    if ctx.is_host or sighting.organisation_id == ctx.organisation_id:
        return True
    agreement = (
        Agreement.objects.filter(organisation_id=sighting.organisation_id, kind=AgreementKind.DATA_SHARING)
        .exclude(current_version=None)
        .select_related("current_version")
        .order_by("-created_at")
        .first()
    )
    return agreement is not None and may_name_source(ctx, sighting.organisation_id, agreement.current_version)


# Weights of the contribution score (docs/analysis.md): what a partner gives the programme.
CONTRIBUTION_WEIGHTS = {"objects": 1, "correlations": 5, "sightings": 2}


def trends(*, principal: User, since: Any, until: Any) -> dict[str, Any]:
    """Counts for the trends page and API over ``[since, until)``, from what the principal may
    see: objects by crime type (europol-incident) × originator region × month, the top
    correlated observables, new campaigns per month, and each partner's contribution (host staff
    see every partner's; a partner its own)."""
    ctx = principal_context(principal)
    matrix = crime_region_month(principal=principal, since=since, until=until, context=ctx)
    appeared = new_campaigns_per_month(principal=principal, since=since, until=until, context=ctx)
    new_campaigns = [{"month": month, "count": n} for month, n in sorted(appeared.items())]
    return {
        "since": since,
        "until": until,
        "by_crime_region_month": [
            {"crime_type": crime, "region": region, "month": month, "count": count}
            for (crime, region, month), count in sorted(
                matrix.items(), key=lambda item: (item[0][2], item[0][0], item[0][1])
            )
        ],
        "top_correlated": top_correlated(principal=principal, context=ctx),
        "new_campaigns": new_campaigns,
        "contributions": contributions(principal=principal, since=since, until=until, context=ctx),
    }


def crime_region_month(
    *, principal: User, since: Any, until: Any, context: PrincipalContext | None = None
) -> dict[tuple[str, str, str], int]:
    """Objects shared in ``[since, until)`` that the principal may see, by (europol-incident crime
    type, originator region, "YYYY-MM"): what partners shared, not the host's own disseminated
    reports about it; kept counts (:mod:`accord.analysis.aggregates`), never the store counted
    for whole months."""
    ctx = context or principal_context(principal)
    matrix: dict[tuple[str, str, str], int] = {}
    for (crime, region, month), count in trend_counts(ctx, since, until).items():
        key = (europol_tag(crime), region, month)
        matrix[key] = matrix.get(key, 0) + count
    return matrix


def top_correlated(
    *, principal: User, context: PrincipalContext | None = None, limit: int = 10
) -> list[dict[str, Any]]:
    """The principal's most correlated observables (known-benign ones aside), with the stored
    totals for host staff."""
    ctx = context or principal_context(principal)
    return [
        {"observable_id": c.pk, "type": c.observable.type, "value": c.observable.value}
        | ({"organisations": c.organisation_count, "objects": c.object_count} if ctx.is_host else {})
        for c in correlation_list(principal=principal).filter(benign="")[:limit]
    ]


def own_contribution_by_month(*, principal: User, since: date) -> dict[str, int]:
    """What the principal's organisation shared per month ("YYYY-MM") from ``since`` on, as its
    contribution score counts it (unrevoked, not for addressees only): its own figures only."""
    if principal.organisation_id is None:
        return {}
    return contribution_months(principal.organisation_id, since)


def contributions(
    *, principal: User, since: Any, until: Any, context: PrincipalContext | None = None
) -> list[dict[str, Any]]:
    """Per partner: objects shared, correlations its data enabled (observables it reported that
    another organisation reported too, known-benign ones aside), sightings reported, and the
    contribution score ``objects + 5 × correlations + 2 × sightings``. A partner's own row
    counts only the correlations it may know of (those of its correlation list), so an object it
    may not see never raises its score."""
    ctx = context or principal_context(principal)
    organisations = Organisation.objects.filter(is_host=False).order_by("name")
    if not ctx.is_host:
        organisations = organisations.filter(pk=ctx.organisation_id or 0)
    names = dict(organisations.values_list("pk", "name"))
    shared = contribution_counts(list(names), since, until, ctx.now)
    if ctx.is_host:
        enabled = enabled_counts(list(names))
    else:  # only the correlations it may know of: another organisation's object it may see
        enabled = {pk: reader_correlation_count(principal, ctx) for pk in names}
    sighted = dict(
        Sighting.objects.filter(organisation_id__in=list(names), created_at__gte=since, created_at__lt=until)
        .values("organisation_id")
        .annotate(n=Count("pk"))
        .values_list("organisation_id", "n")
    )
    rows = []
    for pk, name in names.items():
        counts = {"objects": shared.get(pk, 0), "correlations": enabled.get(pk, 0), "sightings": sighted.get(pk, 0)}
        score = sum(CONTRIBUTION_WEIGHTS[key] * value for key, value in counts.items())
        rows.append({"organisation_id": pk, "organisation": name, **counts, "score": score})
    return sorted(rows, key=lambda row: (-row["score"], row["organisation"]))


def report_list(*, principal: User) -> QuerySet[IntelReport]:
    """Reports: host staff all of them; a partner those disseminated to its organisation, while
    it may receive shared data (policy rule 1: an active organisation with an agreement in
    force; a TLP:CLEAR report needs nothing), as the report's bundle is."""
    ctx = principal_context(principal)
    rows = IntelReport.objects.select_related("created_by").order_by("-created_at", "-pk")
    if ctx.is_host:
        return rows
    rows = rows.filter(status=IntelReport.Status.DISSEMINATED, delivered_to=ctx.organisation_id or 0)
    return rows if ctx.eligible else rows.filter(tlp=Tlp.CLEAR)


def report_get(*, principal: User, pk: Any) -> IntelReport:
    """One report the principal may read (else 404)."""
    try:
        return report_list(principal=principal).get(pk=int(pk))
    except (IntelReport.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"No report {pk}.") from None


def trend_window(since: str | None, until: str | None) -> tuple[datetime, datetime]:
    """The period of a trends request: ISO dates; by default the last twelve calendar months,
    this one included (whole months: read from the kept counts alone)."""
    now = timezone.now().astimezone(UTC)

    def parse(field: str, text: str | None, default: datetime) -> datetime:
        if not text:
            return default
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise invalid(field, f"'{text}' is not an ISO 8601 date.", "2026-01-01") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def month_start(months_from_now: int) -> datetime:
        year, month = divmod(now.year * 12 + now.month - 1 + months_from_now, 12)
        return datetime(year, month + 1, 1, tzinfo=UTC)

    first, next_month = month_start(-11), month_start(1)
    start = parse("since", since, first)
    end = parse("until", until, next_month)
    if end <= start:
        raise invalid("until", "The end of the period must come after its start.")
    return start, end


def observable_for_score(*, principal: User, pk: Any) -> Observable:
    """An observable the principal may know of (host staff any; others through an object they see
    that does not withhold it from them)."""
    ctx = principal_context(principal)
    try:
        observable = Observable.objects.get(pk=int(pk))
    except (Observable.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"No observable {pk} (or you may not know of it).") from None
    if ctx.is_host:
        return observable
    # Not through the asker's own sightings: a sighting of a value says nothing of whether it is
    # in the store, and must open nothing that tells.
    if not _known_links(principal, ctx).filter(observable=observable).exists():
        raise NotFound(f"No observable {pk} (or you may not know of it).")
    return observable
