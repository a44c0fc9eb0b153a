"""The trends' kept counts (accord.analysis.aggregates): what the store's listeners keep through
ingests, revocations, restorations, addressing, expiry and purges equals what ``accord aggregates
rebuild`` computes from the store alone; and every reader's trends equal the store counted
through the policy (``visible``), so a count kept per group never shows what the policy withholds."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Q, Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.analysis.models import ContributionCell, TrendCell
from accord.analysis.taxonomy import europol_tag
from accord.formats.markings import TLP2_IDS
from accord.policy import Action, principal_context, visible
from accord.sharing.models import StixObject
from accord.sharing.services import retention_purge
from tests.analysis.conftest import change_shared, share
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.stix_samples import indicator

START = datetime(2025, 1, 1, tzinfo=UTC)
HOURS = 24 * 730  # objects are created over two years
TREND_KEY = ("month", "crime_type", "organisation_id", "agreement_key", "tlp", "data_category", "count")


@pytest.fixture
def world(api_for, partner, other_partner, people, settings, tmp_path) -> dict[str, Any]:
    """Three sharers (Kestrel; Atlas, whose data goes onward to law enforcement only; Corvid in
    Kenya, which receives technical indicators only) and readers of every kind: host staff, a
    private partner's reader, a partner's contributor, a law-enforcement partner's reader (up to
    TLP:GREEN)."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner, tlp_ceiling="red")
    make_agreement(other_partner, tlp_ceiling="red", onward_kinds=["law_enforcement"])
    corvid = OrganisationFactory(name="Corvid Response", country="KE")
    make_agreement(corvid, tlp_ceiling="red", data_categories=["technical_indicator"])
    police = OrganisationFactory(name="Kenya Police Cyber Unit", country="KE", kind="law_enforcement")
    make_agreement(police, tlp_ceiling="green")
    sharers = [
        people["partner_contributor"],
        UserFactory(username="banker", organisation=other_partner, role="partner_contributor"),
        UserFactory(username="corvid", organisation=corvid, role="partner_contributor"),
    ]
    readers = [
        people["analyst"],
        people["partner_reader"],
        sharers[1],
        UserFactory(username="police", organisation=police, role="partner_reader"),
    ]
    return {
        "api_for": api_for,
        "clients": [api_for(user) for user in sharers],
        "sharers": sharers,
        "readers": readers,
        "addressees": [partner, other_partner, police],
        "shared": [],  # (stix id, sharer index), in the order shared
        "n": itertools.count(1),
    }


def kept() -> list[tuple[Any, ...]]:
    return sorted(TrendCell.objects.values_list(*TREND_KEY))


def store_counted(user: Any, since: datetime, until: datetime) -> dict[tuple[str, str, str], int]:
    """The trends matrix by counting the store through the policy, object by object."""
    ctx = principal_context(user)
    live = Q(revoked=False) & (Q(expires_at__isnull=True) | Q(expires_at__gt=ctx.now))
    rows = StixObject.objects.filter(live, created__gte=since, created__lt=until, addressees_only=False)
    counted: dict[tuple[str, str, str], int] = {}
    for obj in visible(ctx, rows, Action.CORRELATE).select_related("organisation"):
        key = (europol_tag(obj.crime_type), obj.organisation.region, f"{obj.created:%Y-%m}")
        counted[key] = counted.get(key, 0) + 1
    return counted


def trends_read(world: dict[str, Any], user: Any, since: datetime, until: datetime) -> dict[tuple[str, str, str], int]:
    return {(r["crime_type"], r["region"], r["month"]): r["count"] for r in trends_api(world, user, since, until)[0]}


def trends_api(world: dict[str, Any], user: Any, since: datetime, until: datetime) -> tuple[list[Any], dict[str, int]]:
    """The trends matrix, and the objects each organisation shared as its contributions say."""
    params = {"since": since.isoformat(), "until": until.isoformat()}
    response = world["api_for"](user).get("/api/v1/trends/", params)
    assert response.status_code == 200, response.content
    body = response.json()
    return body["by_crime_region_month"], {r["organisation"]: r["objects"] for r in body["contributions"]}


def contributions_counted(user: Any, since: datetime, until: datetime) -> dict[str, int]:
    """The objects shared in the window as the store holds them: every partner's for host staff,
    the reader's own organisation's otherwise (unrevoked versions, by the time received)."""
    ctx = principal_context(user)
    rows = StixObject.objects.filter(added_at__gte=since, added_at__lt=until, revoked=False, addressees_only=False)
    rows = rows.filter(organisation__is_host=False)
    if not ctx.is_host:
        rows = rows.filter(organisation_id=ctx.organisation_id)
    counted: dict[str, int] = {}
    for name in rows.values_list("organisation__name", flat=True):
        counted[name] = counted.get(name, 0) + 1
    return counted


def kept_contributions() -> list[tuple[Any, ...]]:
    return sorted(ContributionCell.objects.values_list("day", "organisation_id", "count"))


TLPS = st.sampled_from(["clear", "green", "amber", "amber+strict", "red"])
CRIMES = st.sampled_from(["phishing", "bec", "ransomware", ""])
OBJECTS = st.lists(
    st.tuples(TLPS, CRIMES, st.integers(0, HOURS), st.sampled_from(["technical_indicator", "incident_report"])),
    min_size=1,
    max_size=4,
)
STEPS = st.one_of(
    st.tuples(st.just("share"), st.integers(0, 2), OBJECTS),
    st.tuples(st.sampled_from(["revoke", "restore", "address", "name", "expire"]), st.integers(0, 1000), st.none()),
    st.tuples(st.just("purge"), st.just(0), st.none()),
)


def run(world: dict[str, Any], step: str, k: int, objects: Any) -> None:
    shared = world["shared"]
    if step == "share":
        bodies = []
        for tlp, crime, hours, category in objects:
            n = next(world["n"])
            stamp = f"{START + timedelta(hours=hours):%Y-%m-%dT%H:%M:%S.000Z}"
            bodies.append(
                indicator(
                    n,
                    f"[ipv4-addr:value = '198.18.{n // 250}.{n % 250}']",
                    created=stamp,
                    modified=stamp,
                    object_marking_refs=[TLP2_IDS[tlp]],
                    x_accord_data_category=category,
                    **({"labels": [crime]} if crime else {}),
                )
            )
            shared.append((bodies[-1]["id"], k))
        share(world["clients"][k], *bodies)
        return
    if step == "purge":
        retention_purge()
        return
    change_shared(world, step, k)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(STEPS, min_size=1, max_size=6),
    since_hours=st.integers(-24 * 40, HOURS),
    length_hours=st.integers(1, HOURS + 24 * 60),
    reader=st.integers(0, 3),
)
def test_kept_counts_equal_the_rebuild_and_the_store_through_the_policy(
    world: dict[str, Any], steps: list[Any], since_hours: int, length_hours: int, reader: int
) -> None:
    for step in steps:
        run(world, *step)
    incremental, contributions = kept(), kept_contributions()
    call_command("aggregates", "rebuild", stdout=io.StringIO())
    assert kept() == incremental
    assert kept_contributions() == contributions
    since = START + timedelta(hours=since_hours, minutes=17)  # windows begin and end inside months
    until = since + timedelta(hours=length_hours)
    user = world["readers"][reader]
    assert trends_read(world, user, since, until) == store_counted(user, since, until)
    # contributions by the time received (today, in these tests): windows that end inside today,
    # before or after now, or begin inside it
    now = timezone.now()
    for start, stop in (
        (since, now + timedelta(minutes=length_hours % 50)),
        (now - timedelta(minutes=length_hours % 50 + 1), now + timedelta(days=1)),
        (now - timedelta(days=since_hours % 3 + 1), now - timedelta(seconds=1)),
    ):
        if start < stop:
            figures = {name: n for name, n in trends_api(world, user, start, stop)[1].items() if n}
            assert figures == contributions_counted(user, start, stop)


def test_whole_months_read_from_the_cells_as_the_store_counts_them(world: dict[str, Any]) -> None:
    """A window of whole months is read from the cells alone: every reader's figures are the
    store's, with objects addressed to one reader, naming another, and one past its retention."""
    run(
        world, "share", 0, [("amber", "phishing", 10, "technical_indicator"), ("red", "bec", 20, "technical_indicator")]
    )
    run(
        world,
        "share",
        2,
        [("amber", "ransomware", 30, "technical_indicator"), ("green", "", 40, "technical_indicator")],
    )
    run(world, "share", 1, [("clear", "bec", 24 * 40, "technical_indicator")])
    run(world, "address", 12, None)  # Corvid's AMBER object, to Kestrel
    run(world, "name", 16, None)  # Kestrel's RED object names the analyst
    run(world, "expire", 4, None)  # Atlas's CLEAR object
    since, until = datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC)
    figures = [trends_read(world, user, since, until) for user in world["readers"]]
    assert figures == [store_counted(user, since, until) for user in world["readers"]]
    # host staff: all but the expired one (the RED one names them); Kestrel: its own two, Corvid's
    # addressed AMBER and GREEN; Atlas and the police (up to GREEN): Corvid's GREEN
    assert [sum(f.values()) for f in figures] == [4, 4, 1, 1]
    assert TrendCell.objects.aggregate(n=Sum("count"))["n"] == 5  # kept until purged


def test_trends_cost_the_same_whatever_the_store_holds(world: dict[str, Any], django_assert_max_num_queries) -> None:
    """The trends read no more queries with ten times the objects (the cells, not the store)."""
    run(world, "share", 0, [("green", "phishing", 24 * 30 * m, "technical_indicator") for m in range(3)])
    user = world["readers"][1]
    api = world["api_for"](user)
    window = {"since": "2025-01-01T00:00:00+00:00", "until": "2026-12-31T10:00:00+00:00"}

    def queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/trends/", window).status_code == 200
        return len(captured)

    queries()  # its first read computes its kept rows from everything it sees
    run(world, "share", 1, [("green", "bec", 24 * 30, "technical_indicator")])
    few = queries()  # the next, after one batch, follows what the batch added
    for m in range(10):
        run(world, "share", m % 3, [("green", "bec", 24 * (30 * m + 5), "technical_indicator")] * 3)
    with django_assert_max_num_queries(few):
        assert api.get("/api/v1/trends/", window).status_code == 200


# a partner's first read after an ingest also writes its kept correlations (analysis.reader_correlations)
@pytest.mark.parametrize(("reader", "queries"), [(0, 21), (1, 50)], ids=["host staff", "partner"])
def test_the_default_trends_count_nothing_from_the_store(
    world: dict[str, Any], reader: int, queries: int, django_assert_max_num_queries
) -> None:
    """The last twelve months (the default: whole months) are read from the kept counts alone:
    no query counts object versions, whatever the store holds; and the figures are the store's."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for m in range(4):
        run(world, "share", m % 3, [("green", "bec", HOURS - 24 * 30 * m, "technical_indicator")] * 2)
    user = world["readers"][reader]
    api = world["api_for"](user)
    with django_assert_max_num_queries(queries), CaptureQueriesContext(connection) as captured:
        response = api.get("/api/v1/trends/")
    assert response.status_code == 200
    # only the objects granted one by one or past retention are counted, found through their own
    # small tables ("id" IN (SELECT ...)), never a range of the store
    counting = [
        q["sql"]
        for q in captured
        if 'COUNT("sharing_stixobject"."id")' in q["sql"] and '"sharing_stixobject"."id" IN (SELECT' not in q["sql"]
    ]
    assert counting == []
    if reader == 0:
        # host staff's new campaigns and correlations enabled are read from what is kept: no
        # campaign is asked whether a member is seen (none has a member the groups do not decide
        # for), and no source is joined to its correlation
        per_campaign = [q["sql"] for q in captured if "EXISTS" in q["sql"] and "analysis_campaignmember" in q["sql"]]
        assert per_campaign == []
        assert [q["sql"] for q in captured if "analysis_observablesource" in q["sql"]] == []
    body = response.json()
    since, until = datetime.fromisoformat(body["since"]), datetime.fromisoformat(body["until"])
    assert (since.day, since.hour, until.day, until.hour) == (1, 0, 1, 0)  # whole months
    assert {(r["crime_type"], r["region"], r["month"]): r["count"] for r in body["by_crime_region_month"]} == (
        store_counted(user, since, until)
    )
    shared = {r["organisation"]: r["objects"] for r in body["contributions"] if r["objects"]}
    assert shared == contributions_counted(user, since, until)
