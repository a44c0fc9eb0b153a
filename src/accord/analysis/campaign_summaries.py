"""Campaigns' summary columns: first and last seen, counts of objects, observables and
organisations, regions, crime types and the policy groups of the members
(:class:`~accord.analysis.models.PolicyGroup`).

Members joining a campaign are added to its summary (:func:`campaigns_grow`) at a cost in
proportion to the members added, never to the campaign's size: a large campaign that gains a
few objects on every ingest batch is not read again each time. Campaigns whose members move in
other ways (merges, splits, removals, a rebuild) are summarised again from their members
(:func:`campaigns_refresh`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db import connection, transaction
from django.utils import timezone

from accord.analysis.models import Campaign, CampaignMember, PolicyGroup
from accord.analysis.rewrite import update_rows
from accord.analysis.taxonomy import europol_tags
from accord.core.choices import Tlp
from accord.core.models import Organisation
from accord.sharing.bulk import adapt_datetime, insert_rows, select_in
from accord.sharing.models import ObjectObservable, StixObject

__all__ = ["campaigns_grow", "campaigns_refresh", "campaigns_summarise", "policy_groups"]

LINKS = ObjectObservable._meta.db_table
OBJECTS = StixObject._meta.db_table
MEMBERS = CampaignMember._meta.db_table
CAMPAIGNS = Campaign._meta.db_table
ORGANISATIONS = Organisation._meta.db_table
GROUPS = PolicyGroup._meta.db_table
_SUMMARY = (
    "first_seen", "last_seen", "objects_count", "organisations_count", "organisation_ids", "observables_count",
    "regions", "crime_types", "policy_groups", "first_group", "second_group",
)  # fmt: skip
# (originator, agreement or 0, TLP, data category): what the policy decides on for a whole group
Group = tuple[int, int, str, str]
_GROUP_COLUMNS = "o.organisation_id, COALESCE(o.agreement_id, 0), o.tlp, o.data_category"


@dataclass
class _Summary:
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    objects_count: int = 0
    observables_count: int = 0
    organisations: set[int] = field(default_factory=set)
    tags: set[str] = field(default_factory=set)
    groups: set[int] = field(default_factory=set)

    def add(self, created: Any, modified: Any, organisation: int, crime: str) -> None:
        created, modified = _aware(created), _aware(modified)
        self.first_seen = created if self.first_seen is None or created is None else min(self.first_seen, created)
        self.last_seen = modified if self.last_seen is None or modified is None else max(self.last_seen, modified)
        self.objects_count += 1
        self.organisations.add(organisation)
        if crime:
            self.tags.update(europol_tags([crime]))


def _rows(sql: str, wanted: list[int] | None, params: Sequence[Any] = ()) -> Iterable[tuple[Any, ...]]:
    """The rows of ``sql`` for every campaign (streamed), or for ``wanted`` (``IN ({})``, chunked)."""
    if wanted is not None:
        yield from select_in(sql, params, wanted)
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params) or None)
        while rows := cursor.fetchmany(20000):
            yield from rows


def campaigns_refresh(campaign_ids: Iterable[int] | None = None) -> None:
    """Summarise the given campaigns (all when ``None``) again from all their members: grouped
    by the database (dates and counts per campaign, its organisations and crime types), not
    member by member (a rebuild summarises every campaign: 400,000 members at a million objects)."""
    wanted = None if campaign_ids is None else sorted(campaign_ids)
    if wanted is not None and not wanted:
        return
    if wanted is None and connection.vendor == "postgresql":
        campaigns_summarise(MEMBERS)
        return
    where = "" if wanted is None else "WHERE m.campaign_id IN ({})"
    members = f"FROM {MEMBERS} m JOIN {OBJECTS} o ON o.id = m.stix_object_id {where}"
    summaries: dict[int, _Summary] = {}
    sql = f"SELECT m.campaign_id, MIN(o.created), MAX(o.modified), COUNT(*) {members} GROUP BY m.campaign_id"  # noqa: S608
    for pk, first, last, count in _rows(sql, wanted):
        summaries[pk] = _Summary(_aware(first), _aware(last), count)
    for pk, organisation in _rows(f"SELECT DISTINCT m.campaign_id, o.organisation_id {members}", wanted):  # noqa: S608
        summaries[pk].organisations.add(organisation)
    tags: dict[str, list[str]] = {}
    crimes = f"WHERE o.crime_type > ''{'' if wanted is None else ' AND m.campaign_id IN ({})'}"
    sql = f"SELECT DISTINCT m.campaign_id, o.crime_type FROM {MEMBERS} m JOIN {OBJECTS} o ON o.id = m.stix_object_id {crimes}"  # noqa: S608, E501
    for pk, crime in _rows(sql, wanted):
        if crime not in tags:
            tags[crime] = europol_tags([crime])
        summaries[pk].tags.update(tags[crime])
    sql = (
        f"SELECT m.campaign_id, COUNT(DISTINCT l.observable_id) FROM {MEMBERS} m "  # noqa: S608
        f"JOIN {LINKS} l ON l.stix_object_id = m.stix_object_id {where} GROUP BY m.campaign_id"
    )
    for pk, count in _rows(sql, wanted):
        summaries[pk].observables_count = count
    unrevoked = f"WHERE o.revoked = %s{'' if wanted is None else ' AND m.campaign_id IN ({})'}"
    sql = f"SELECT DISTINCT m.campaign_id, {_GROUP_COLUMNS} FROM {MEMBERS} m JOIN {OBJECTS} o ON o.id = m.stix_object_id {unrevoked}"  # noqa: S608, E501
    found = [(pk, (org, agreement, tlp, category)) for pk, org, agreement, tlp, category in _rows(sql, wanted, [False])]
    numbers = policy_groups({group for _, group in found})
    for pk, group in found:
        summaries[pk].groups.add(numbers[group])
    _write(summaries)


def campaigns_summarise(members: str) -> None:
    """Summarise every campaign from the membership in table ``members`` (PostgreSQL only): the
    same figures as :func:`campaigns_refresh` computes (its JSON lists sorted and distinct),
    grouped by the database (400,000 members at a million objects), written where they differ,
    and the campaigns named there that do not exist yet inserted with theirs (a rebuild's new
    ones: each row written once). A rebuild passes the members it is about to write, before the
    campaigns they name exist."""
    stamp = adapt_datetime(timezone.now())
    # in the caller's transaction, or one of its own: the temporary table lives until it ends
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT crime_type FROM {OBJECTS} WHERE crime_type > ''")  # noqa: S608
        tags = [(crime, tag) for (crime,) in cursor.fetchall() for tag in europol_tags([crime])]
        cursor.execute(f"SELECT DISTINCT {_GROUP_COLUMNS} FROM {OBJECTS} o WHERE o.revoked = false")  # noqa: S608
        policy_groups(cursor.fetchall())  # numbered before the members are grouped by them
        mapping = ", ".join(["(%s, %s)"] * len(tags)) or "(NULL, NULL)"
        cursor.execute("DROP TABLE IF EXISTS _campaign_summaries")
        cursor.execute(
            "CREATE TEMPORARY TABLE _campaign_summaries ON COMMIT DROP AS "  # noqa: S608
            "WITH summary AS (SELECT m.campaign_id, MIN(o.created) AS first_seen, MAX(o.modified) AS last_seen, "
            "COUNT(*) AS objects_count, COUNT(DISTINCT o.organisation_id) AS organisations_count, "
            "jsonb_agg(DISTINCT o.organisation_id ORDER BY o.organisation_id) AS organisation_ids, "
            "COALESCE(jsonb_agg(DISTINCT g.region ORDER BY g.region) FILTER (WHERE g.region > ''), '[]') AS regions, "
            "COALESCE(jsonb_agg(DISTINCT x.tag ORDER BY x.tag) FILTER (WHERE x.tag IS NOT NULL), '[]') AS crime_types "
            f"FROM {members} m JOIN {OBJECTS} o ON o.id = m.stix_object_id "
            f"JOIN {ORGANISATIONS} g ON g.id = o.organisation_id "
            f"LEFT JOIN (VALUES {mapping}) AS x (crime, tag) ON x.crime = o.crime_type GROUP BY m.campaign_id), "
            f"seen AS (SELECT m.campaign_id, COUNT(DISTINCT l.observable_id) AS observables_count FROM {members} m "
            f"JOIN {LINKS} l ON l.stix_object_id = m.stix_object_id GROUP BY m.campaign_id), "
            "grouped AS (SELECT campaign_id, jsonb_agg(id ORDER BY rank, id) AS policy_groups, "
            "(array_agg(id ORDER BY rank, id))[1] AS first_group, (array_agg(id ORDER BY rank, id))[2] AS second_group "
            "FROM (SELECT DISTINCT m.campaign_id, p.id, p.rank "
            f"FROM {members} m JOIN {OBJECTS} o ON o.id = m.stix_object_id JOIN {GROUPS} p "
            "ON p.organisation_id = o.organisation_id AND p.agreement_key = COALESCE(o.agreement_id, 0) "
            "AND p.tlp = o.tlp AND p.data_category = o.data_category WHERE o.revoked = false) d GROUP BY campaign_id) "
            "SELECT s.*, COALESCE(v.observables_count, 0) AS observables_count, "
            "COALESCE(p.policy_groups, '[]') AS policy_groups, p.first_group, p.second_group "
            "FROM summary s LEFT JOIN seen v ON v.campaign_id = s.campaign_id "
            "LEFT JOIN grouped p ON p.campaign_id = s.campaign_id",
            [value for pair in tags for value in pair],
        )
        cursor.execute("ANALYZE _campaign_summaries")
        columns = ", ".join(_SUMMARY)
        cursor.execute(
            f"UPDATE {CAMPAIGNS} c SET {', '.join(f'{column} = f.{column}' for column in _SUMMARY)}, "  # noqa: S608
            "updated_at = %s FROM _campaign_summaries f WHERE c.id = f.campaign_id AND ("
            + " OR ".join(f"c.{column} IS DISTINCT FROM f.{column}" for column in _SUMMARY)
            + ")",
            [stamp],
        )
        cursor.execute(
            f"INSERT INTO {CAMPAIGNS} (id, name, description, named, created_at, updated_at, {columns}) "  # noqa: S608
            f"SELECT campaign_id, 'Campaign ' || campaign_id, '', false, %s, %s, {columns} FROM _campaign_summaries "
            # those that exist already (no anti-join: the table it would scan grows with each row)
            "ON CONFLICT (id) DO NOTHING",
            [stamp, stamp],
        )


def campaigns_grow(added: Mapping[int, Sequence[int]]) -> None:
    """Add new members (object version ids, per campaign) to their campaigns' summaries. Called
    before the members are written: what the campaign's members already mention is not counted
    twice. A new campaign is summarised from nothing."""
    objects = sorted({obj for members in added.values() for obj in members})
    if not objects:
        return
    summaries = _current(sorted(added))
    facts: dict[int, tuple[Any, ...]] = {}
    group_of: dict[int, Group] = {}
    sql = f"SELECT o.id, o.created, o.modified, o.crime_type, o.revoked, {_GROUP_COLUMNS} FROM {OBJECTS} o WHERE o.id IN ({{}})"  # noqa: S608, E501
    for pk, created, modified, crime, revoked, organisation, agreement, tlp, category in select_in(sql, (), objects):
        facts[pk] = (created, modified, organisation, crime)
        if not revoked:
            group_of[pk] = (organisation, agreement, tlp, category)
    numbers = policy_groups(set(group_of.values()))
    mentions: dict[int, set[int]] = {}
    for obj, observable in select_in(
        f"SELECT stix_object_id, observable_id FROM {LINKS} WHERE stix_object_id IN ({{}})",  # noqa: S608
        (),
        objects,
    ):
        mentions.setdefault(obj, set()).add(observable)
    fresh = {campaign: set().union(*(mentions.get(obj, ()) for obj in members)) for campaign, members in added.items()}
    held = _held({pk: fresh[pk] for pk in summaries if summaries[pk].objects_count})
    for campaign, members in added.items():
        summary = summaries.get(campaign)
        if summary is None:  # deleted by another transaction meanwhile (a merge): nothing to add to
            continue
        for obj in members:
            summary.add(*facts[obj])
            if obj in group_of:
                summary.groups.add(numbers[group_of[obj]])
        summary.observables_count += len(fresh[campaign] - held.get(campaign, set()))
    _write(summaries)


def _current(campaign_ids: list[int]) -> dict[int, _Summary]:
    """The stored summaries, their rows locked until the transaction ends (in order, so that two
    ingests growing the same campaigns wait for each other rather than deadlock): an ingest that
    read a summary another was about to change would write over the other's additions."""
    summaries = {}
    columns = ("pk", "first_seen", "last_seen", "objects_count", "observables_count", "organisation_ids", "crime_types")
    rows = Campaign.objects.filter(pk__in=campaign_ids).order_by("pk").select_for_update()
    for pk, first, last, objects, observables, organisations, tags, groups in rows.values_list(
        *columns, "policy_groups"
    ):
        summaries[pk] = _Summary(first, last, objects, observables, set(organisations), set(tags), set(groups))
    return summaries


def _held(candidates: Mapping[int, set[int]]) -> dict[int, set[int]]:
    """Of each campaign's ``candidates`` observables, those its current members mention: found
    through the observables' links (by index), not by reading the campaign's members."""
    held: dict[int, set[int]] = {}
    campaigns = sorted(candidates)
    observables = sorted(set().union(*candidates.values())) if candidates else []
    for campaign, observable in select_in(
        f"SELECT DISTINCT m.campaign_id, l.observable_id FROM {LINKS} l "  # noqa: S608
        f"JOIN {MEMBERS} m ON m.stix_object_id = l.stix_object_id "
        f"WHERE m.campaign_id IN ({', '.join(['%s'] * len(campaigns))}) AND l.observable_id IN ({{}})",
        campaigns,
        observables,
    ):
        if observable in candidates.get(campaign, ()):
            held.setdefault(campaign, set()).add(observable)
    return held


def _write(summaries: Mapping[int, _Summary]) -> None:
    if not summaries:
        return
    region_of = dict(Organisation.objects.values_list("pk", "region"))
    ranked = dict(
        PolicyGroup.objects.filter(pk__in={g for s in summaries.values() for g in s.groups}).values_list("pk", "rank")
    )
    stamp = adapt_datetime(timezone.now())
    rows = []
    for pk, summary in summaries.items():
        groups = sorted(summary.groups, key=lambda group: (ranked[group], group))
        rows.append(
            (
                adapt_datetime(summary.first_seen),
                adapt_datetime(summary.last_seen),
                summary.objects_count,
                len(summary.organisations),
                orjson.dumps(sorted(summary.organisations)).decode(),
                summary.observables_count,
                orjson.dumps(sorted({region_of[o] for o in summary.organisations if region_of.get(o)})).decode(),
                orjson.dumps(sorted(summary.tags)).decode(),
                orjson.dumps(groups).decode(),
                groups[0] if groups else None,
                groups[1] if len(groups) > 1 else None,
                stamp,
                pk,
            )
        )
    columns = ["first_seen", "last_seen", "objects_count", "organisations_count", "organisation_ids"]
    columns += ["observables_count", "regions", "crime_types", "policy_groups", "first_group", "second_group"]
    columns += ["updated_at"]
    json = ("organisation_ids", "regions", "crime_types", "policy_groups")
    update_rows(CAMPAIGNS, "id", columns, rows, json_columns=json, stamps=["updated_at"])


def policy_groups(groups: Collection[Group]) -> dict[Group, int]:
    """The number of each policy group, made for those not numbered yet."""
    if not groups:
        return {}
    wanted = set(groups)
    organisations = sorted({group[0] for group in wanted})
    numbered = {
        (organisation, agreement, tlp, category): pk
        for pk, organisation, agreement, tlp, category in PolicyGroup.objects.filter(
            organisation_id__in=organisations
        ).values_list("pk", "organisation_id", "agreement_key", "tlp", "data_category")
    }
    missing = sorted(wanted - numbered.keys())
    if missing:
        rows = [(org, agreement, tlp, category, _rank(agreement, tlp)) for org, agreement, tlp, category in missing]
        insert_rows(
            GROUPS, ("organisation_id", "agreement_key", "tlp", "data_category", "rank"), rows, ignore_conflicts=True
        )
        return policy_groups(wanted)
    return {group: numbered[group] for group in wanted}


def _rank(agreement: int, tlp: str) -> int:
    """Where a group comes in a campaign's list: the least restricted first — by TLP, then
    shared under no agreement before under one — so that the first is the one most readers see."""
    return 2 * Tlp.rank(tlp) + (1 if agreement else 0)


def _aware(value: Any) -> datetime | None:
    """A timestamp from a raw row, aware in UTC whichever database returned it."""
    if value is None:
        return None
    stamp: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
