"""A partner's kept campaigns and correlations follow the store's changes that name the versions
or values they concern (accord.analysis.reader_inputs), and are then exactly those computed from
everything it sees: through ingests at every TLP by three organisations, values crossing the
correlation cap either way, campaigns splitting, revocations, restorations, retentions ending
and made longer, purges, objects addressed to the reader or sent in a report, analysts' cuts and
bridges, and local exclusions (all followed); an agreement's change computes them again."""

from __future__ import annotations

import io
import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from accord.analysis.models import (
    Campaign,
    CampaignMember,
    ExclusionEntry,
    ExclusionList,
    ReaderCampaignState,
    ReaderCorrelationState,
)
from accord.analysis.reader_campaigns import reader_campaigns_refresh
from accord.analysis.reader_correlations import reader_correlations_refresh
from accord.analysis.services import (
    campaign_merge,
    campaign_split,
    readers,
    readers_keep_up,
    report_disseminate,
    report_save,
)
from accord.analysis.services.exclusions import exclusion_entry_add, exclusion_entry_remove, exclusion_list_create
from accord.core.errors import ValidationFailed
from accord.core.models import ApiToken, User
from accord.core.services import token_issue
from accord.formats.markings import TLP2_IDS
from accord.partners.services import agreement_suspend
from accord.policy import principal_context
from accord.sharing.listeners import notify_visibility
from accord.sharing.models import ObjectObservable, Observable, StixObject, VisibilityChange
from accord.sharing.services import Scope, object_retention_extend, retention_purge, visibility_watch
from tests.analysis.conftest import CAMPAIGNS, CORRELATIONS, change_shared, share
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.stix_samples import indicator

POOL = [f"194.147.84.{n}" for n in range(1, 7)]
CAP = 4


@pytest.fixture
def world(api_for, partner, other_partner, people, settings, tmp_path) -> dict[str, Any]:
    """Kestrel (the reader's organisation), Atlas and Corvid share; the cap is low enough for a
    value to cross it within a few steps."""
    settings.MEDIA_ROOT = tmp_path
    settings.ACCORD_CORRELATION_CAP = CAP
    corvid = OrganisationFactory(name="Corvid Response", country="KE")
    agreements = [make_agreement(organisation, tlp_ceiling="red") for organisation in (partner, other_partner, corvid)]
    sharers = [
        people["partner_contributor"],
        UserFactory(username="banker", organisation=other_partner, role="partner_contributor"),
        UserFactory(username="corvid", organisation=corvid, role="partner_contributor"),
    ]
    return {
        "clients": [api_for(user) for user in sharers],
        "sharers": sharers,
        "reader": people["partner_reader"],
        "api": api_for(people["partner_reader"]),
        "analyst": people["analyst"],
        "manager": people["programme_manager"],
        "agreements": agreements,
        "addressees": [partner],
        "readers": [people["partner_reader"]],
        "shared": [],
        "n": itertools.count(1),
    }


def share_objects(world: dict[str, Any], k: int, objects: list[tuple[str, set[int]]]) -> None:
    bodies = []
    for tlp, values in objects:
        pattern = " OR ".join(f"ipv4-addr:value = '{POOL[v]}'" for v in sorted(values))
        bodies.append(indicator(next(world["n"]), f"[{pattern}]", object_marking_refs=[TLP2_IDS[tlp]]))
        world["shared"].append((bodies[-1]["id"], k))
    share(world["clients"][k], *bodies)


def run(world: dict[str, Any], step: str, k: int, objects: Any) -> None:
    if step == "share":
        share_objects(world, k, objects)
    elif step == "purge":
        retention_purge()
    elif step == "expire":  # the retention of the k-th object shared ends now
        if world["shared"]:
            stix_id, _ = world["shared"][k % len(world["shared"])]
            StixObject.objects.filter(stix_id=stix_id).update(expires_at=timezone.now())
    elif step == "exclude":  # a value named benign locally, or no longer
        analyst, value = world["analyst"], POOL[k % len(POOL)]
        entry = ExclusionEntry.objects.filter(pattern=value).first()
        if entry is not None:
            exclusion_entry_remove(actor=analyst, entry=entry)
        else:
            listed = ExclusionList.objects.first() or exclusion_list_create(actor=analyst, name="Sinkholes")
            exclusion_entry_add(actor=analyst, exclusion_list=listed, type="ipv4", pattern=value)
    elif step == "extend":  # the k-th object shared is kept longer (its retention may have ended)
        if world["shared"]:
            stix_id, sharer = world["shared"][k % len(world["shared"])]
            if StixObject.objects.filter(stix_id=stix_id).exists():
                until = timezone.now() + timedelta(days=30)
                object_retention_extend(actor=world["sharers"][sharer], stix_id=stix_id, until=until, reason="evidence")
    elif step == "cut":  # an analyst cuts a value out of a campaign it links
        cut(world, POOL[k % len(POOL)])
    elif step == "bridge":  # an analyst merges two campaigns
        campaigns = list(Campaign.objects.order_by("pk").values_list("pk", flat=True))
        if len(campaigns) >= 2:
            first = campaigns[k % len(campaigns)]
            second = campaigns[(k // len(campaigns) + 1 + campaigns.index(first)) % len(campaigns)]
            if first != second:
                campaign_merge(actor=world["analyst"], campaign_ids=[first, second], reason="same actor")
    else:
        change_shared(world, step, k)


def cut(world: dict[str, Any], value: str) -> bool:
    """The analyst cuts ``value`` out of the campaign it links (refused, changing nothing, when
    the campaign would not split): whether it did."""
    found = Observable.objects.filter(value=value).first()
    if found is None:
        return False
    mentioning = ObjectObservable.objects.filter(observable=found).values("stix_object_id")
    campaign = Campaign.objects.filter(
        pk__in=CampaignMember.objects.filter(stix_object_id__in=mentioning).values("campaign_id")
    ).first()
    if campaign is None:
        return False
    try:
        campaign_split(actor=world["analyst"], campaign=campaign, observable_ids=[found.pk], reason="shared hosting")
    except ValidationFailed:
        return False
    return True


def refresh(world: dict[str, Any]) -> tuple[str, str]:
    """The reader's first read after a change: how its campaigns and correlations came up to date."""
    reader = world["reader"]
    ctx = principal_context(reader)
    return reader_campaigns_refresh(reader, ctx), reader_correlations_refresh(reader, ctx)


def view(world: dict[str, Any]) -> dict[str, Any]:
    """The reader's campaigns (each with its members), correlations and their count, through the API."""
    api = world["api"]
    campaigns = api.get(CAMPAIGNS, {"page_size": 200}).json()
    correlations = api.get(CORRELATIONS, {"page_size": 200}).json()
    # the count of its correlations, kept with them, is its contribution's
    trends = api.get("/api/v1/trends/", {"since": "2025-01-01", "until": "2028-01-01"}).json()
    found: dict[str, Any] = {
        "campaigns": campaigns,
        "correlations": correlations,
        "contributions": trends["contributions"],
    }
    for campaign in campaigns["results"]:
        found[f"campaign {campaign['id']}"] = api.get(f"{CAMPAIGNS}{campaign['id']}/").json()
        found[f"graph {campaign['id']}"] = api.get(f"{CAMPAIGNS}{campaign['id']}/graph/").json()
    return found


def computed_from_everything(world: dict[str, Any]) -> dict[str, Any]:
    """The same view once the reader's kept rows are forgotten: computed from all it sees."""
    ReaderCampaignState.objects.filter(reader=world["reader"]).delete()
    ReaderCorrelationState.objects.filter(reader=world["reader"]).delete()
    assert refresh(world) == ("computed", "computed")
    return view(world)


def assert_computed_alike(world: dict[str, Any], kept: dict[str, Any], step: Any = None) -> None:
    """The kept view equals the one computed from everything, part by part."""
    computed = computed_from_everything(world)
    assert sorted(kept) == sorted(computed), step
    for key in kept:
        assert kept[key] == computed[key], (key, step)


def followed(world: dict[str, Any]) -> dict[str, Any]:
    """The reader's next read follows the changes, and what it reads then is what computing from
    everything it sees gives: that view."""
    assert refresh(world) == ("followed", "followed")
    kept = view(world)
    assert_computed_alike(world, kept)
    return kept


TLPS = st.sampled_from(["clear", "green", "amber", "amber+strict", "red"])
OBJECTS = st.lists(
    st.tuples(TLPS, st.sets(st.integers(0, len(POOL) - 1), min_size=1, max_size=2)), min_size=1, max_size=4
)
STEPS = st.one_of(
    st.tuples(st.just("share"), st.integers(0, 2), OBJECTS),
    st.tuples(st.just("share"), st.integers(0, 2), OBJECTS),  # adding is the common change
    st.tuples(
        st.sampled_from(["revoke", "restore", "address", "expire", "extend", "exclude", "cut", "bridge"]),
        st.integers(0, 1000),
        st.none(),
    ),
    st.tuples(st.just("expire"), st.integers(0, 1000), st.none()),  # followed, as adding is
    st.tuples(st.just("purge"), st.just(0), st.none()),
)


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(STEPS, st.booleans()), min_size=2, max_size=8))
def test_a_partners_kept_rows_equal_those_computed_from_everything(world: dict[str, Any], steps: list[Any]) -> None:
    """After each step the reader reads, or not (then the next read follows several changes)."""
    refresh(world)
    for step, read in steps:
        run(world, *step)
        if read:
            refresh(world)
            assert_computed_alike(world, view(world), step)
    refresh(world)
    assert_computed_alike(world, view(world), "at the end")


def test_an_ingest_is_followed_from_what_it_added(world: dict[str, Any]) -> None:
    """Two of Kestrel's objects and one of Atlas's join by a value; Corvid's TLP:AMBER object,
    which the reader may not see, mentions it too; then a GREEN one of Corvid's joins them."""
    share_objects(world, 0, [("green", {0}), ("green", {0, 1})])
    assert refresh(world) == ("computed", "computed")
    share_objects(world, 1, [("green", {1})])
    assert refresh(world) == ("followed", "followed")
    share_objects(world, 2, [("amber", {0, 1})])
    hidden = followed(world)
    assert [c["objects_seen"] for c in hidden["campaigns"]["results"]] == [3]
    share_objects(world, 2, [("green", {1, 2})])
    assert refresh(world) == ("followed", "followed")
    assert refresh(world) == ("current", "current")
    grown = view(world)
    assert_computed_alike(world, grown)
    assert [c["objects_seen"] for c in grown["campaigns"]["results"]] == [4]
    assert grown != hidden


def test_a_value_crossing_the_cap_splits_the_campaign_it_made(world: dict[str, Any]) -> None:
    """A value that linked four versions stops linking at five: the campaign it made splits;
    when one of the five expires, the value links them again."""
    share_objects(world, 0, [("green", {0, 1}), ("green", {0}), ("green", {1}), ("green", {0}), ("green", {0})])
    assert refresh(world) == ("computed", "computed")
    before = view(world)
    assert [c["objects_seen"] for c in before["campaigns"]["results"]] == [5]
    share_objects(world, 1, [("green", {0})])
    after = followed(world)
    assert [c["objects_seen"] for c in after["campaigns"]["results"]] == [2]
    run(world, "expire", 1, None)  # one of the four mentioning only the value
    again = followed(world)
    assert [c["objects_seen"] for c in again["campaigns"]["results"]] == [5]


def test_a_campaign_whose_link_expires_splits(world: dict[str, Any]) -> None:
    """Atlas and Corvid each share an object per value; Kestrel's object, mentioning both values,
    joins the four; when its retention ends, the campaign splits in two, one per value."""
    share_objects(world, 1, [("green", {0}), ("green", {1})])
    share_objects(world, 2, [("green", {0}), ("green", {1})])
    assert refresh(world) == ("computed", "computed")
    share_objects(world, 0, [("green", {0, 1})])
    joined = followed(world)
    assert [c["objects_seen"] for c in joined["campaigns"]["results"]] == [5]
    run(world, "expire", 4, None)  # Kestrel's
    split = followed(world)
    assert sorted(c["objects_seen"] for c in split["campaigns"]["results"]) == [2, 2]


def test_a_purge_of_versions_expired_since_the_last_read_is_followed(world: dict[str, Any]) -> None:
    """A campaign member's retention ends and the purge deletes it before the reader reads
    again: the member rows went with it; the campaign is found through the purge's record."""
    share_objects(world, 1, [("green", {0}), ("green", {1})])
    share_objects(world, 2, [("green", {0}), ("green", {1})])
    share_objects(world, 0, [("green", {0, 1})])
    assert refresh(world) == ("computed", "computed")
    assert [c["objects_seen"] for c in view(world)["campaigns"]["results"]] == [5]
    run(world, "expire", 4, None)  # Kestrel's, which joined the two
    run(world, "purge", 0, None)
    assert not StixObject.objects.filter(stix_id=world["shared"][4][0]).exists()
    purged = followed(world)
    assert sorted(c["objects_seen"] for c in purged["campaigns"]["results"]) == [2, 2]


def test_a_revocation_and_a_restoration_are_followed(world: dict[str, Any]) -> None:
    """Atlas's object joins Kestrel's two into one campaign; revoked, the campaign splits;
    restored, it joins them again."""
    share_objects(world, 0, [("green", {0}), ("green", {1})])
    share_objects(world, 1, [("green", {0, 1})])
    assert refresh(world) == ("computed", "computed")
    assert [c["objects_seen"] for c in view(world)["campaigns"]["results"]] == [3]
    run(world, "revoke", 2, None)  # Atlas's
    revoked = followed(world)
    assert (revoked["campaigns"]["count"], revoked["correlations"]["count"]) == (0, 0)
    run(world, "restore", 2, None)
    restored = followed(world)
    assert [c["objects_seen"] for c in restored["campaigns"]["results"]] == [3]


def test_a_value_excluded_and_restored_is_followed(world: dict[str, Any]) -> None:
    """A local exclusion names the value joining Kestrel's object and Atlas's benign: the
    campaign and the correlation go; taken off the list, they come back."""
    share_objects(world, 0, [("green", {0, 1})])
    share_objects(world, 1, [("green", {0}), ("green", {1})])
    assert refresh(world) == ("computed", "computed")
    assert [c["objects_seen"] for c in view(world)["campaigns"]["results"]] == [3]
    run(world, "exclude", 0, None)  # the value 0
    excluded = followed(world)
    assert [c["objects_seen"] for c in excluded["campaigns"]["results"]] == [2]
    assert excluded["correlations"]["count"] == 1
    run(world, "exclude", 0, None)  # off the list again
    included = followed(world)
    assert [c["objects_seen"] for c in included["campaigns"]["results"]] == [3]


def test_an_object_addressed_to_the_reader_is_followed(world: dict[str, Any]) -> None:
    share_objects(world, 0, [("green", {0})])
    share_objects(world, 1, [("amber", {0})])
    assert refresh(world) == ("computed", "computed")
    assert view(world)["campaigns"]["count"] == 0
    run(world, "address", 1, None)  # Atlas's object, to Kestrel
    addressed = followed(world)
    assert [c["objects_seen"] for c in addressed["campaigns"]["results"]] == [2]


def test_a_change_hiding_named_versions_from_the_reader_is_followed(world: dict[str, Any], partner: Any) -> None:
    """No service takes an addressee away yet, but a change told to the store's listeners may
    hide the versions it names as well as show them: the campaign they made splits."""
    share_objects(world, 0, [("green", {0})])
    share_objects(world, 1, [("amber", {0})])
    run(world, "address", 1, None)  # Atlas's object, to Kestrel
    assert refresh(world) == ("computed", "computed")
    assert view(world)["campaigns"]["count"] == 1
    versions = list(StixObject.objects.filter(stix_id=world["shared"][1][0]).values_list("pk", flat=True))
    with transaction.atomic():
        scope = Scope((partner.pk,), Q(pk__in=versions))
        with visibility_watch(cause="addressee taken away", scopes=[scope], kind=VisibilityChange.Kind.NAMED):
            StixObject.addressed_to.through.objects.filter(stixobject_id__in=versions).delete()
            notify_visibility(objects=versions)
    hidden = followed(world)
    assert hidden["campaigns"]["count"] == 0


def test_an_object_kept_longer_is_followed(world: dict[str, Any]) -> None:
    """Atlas's object joins Kestrel's two; its retention ends and the campaign splits; kept
    longer, it joins them again."""
    share_objects(world, 0, [("green", {0}), ("green", {1})])
    share_objects(world, 1, [("green", {0, 1})])
    assert refresh(world) == ("computed", "computed")
    run(world, "expire", 2, None)  # Atlas's
    assert refresh(world) == ("followed", "followed")
    assert view(world)["campaigns"]["count"] == 0
    run(world, "extend", 2, None)
    kept = followed(world)
    assert [c["objects_seen"] for c in kept["campaigns"]["results"]] == [3]


def test_an_analysts_cut_is_followed(world: dict[str, Any]) -> None:
    """Kestrel's, Atlas's and Corvid's objects are joined by two values; cut the second, the
    campaign keeps Kestrel's and Atlas's."""
    share_objects(world, 0, [("green", {0})])
    share_objects(world, 1, [("green", {0, 1})])
    share_objects(world, 2, [("green", {1})])
    assert refresh(world) == ("computed", "computed")
    assert [c["objects_seen"] for c in view(world)["campaigns"]["results"]] == [3]
    assert cut(world, POOL[1])
    split = followed(world)
    assert [c["objects_seen"] for c in split["campaigns"]["results"]] == [2]


def test_an_analysts_bridge_is_followed_even_between_versions_no_value_links_for_the_reader(
    world: dict[str, Any],
) -> None:
    """Two campaigns of the store, each joined by a TLP:AMBER object the reader may not see: for
    it, each is one lone object. The analyst merges them, and the bridge between those two
    makes a campaign of the reader's."""
    share_objects(world, 1, [("green", {2})])
    share_objects(world, 2, [("amber", {2}), ("green", {3})])
    share_objects(world, 1, [("amber", {3})])
    assert Campaign.objects.count() == 2
    assert refresh(world) == ("computed", "computed")
    assert view(world)["campaigns"]["count"] == 0
    run(world, "bridge", 0, None)
    assert Campaign.objects.count() == 1
    bridged = followed(world)
    assert [c["objects_seen"] for c in bridged["campaigns"]["results"]] == [2]


def test_a_report_sent_to_the_reader_is_followed(world: dict[str, Any], partner: Any) -> None:
    """A report including Kestrel's and Atlas's objects reaches Kestrel: its own STIX object is
    added for the reader, and nothing else changes."""
    share_objects(world, 0, [("green", {0})])
    share_objects(world, 1, [("green", {0})])
    assert refresh(world) == ("computed", "computed")
    before = view(world)
    report = report_save(
        actor=world["analyst"],
        title="Mule IP",
        summary="A cash-out host two partners reported.",
        tlp="green",
        audience="organisations",
        audience_organisations=[partner.pk],
        object_ids=[stix_id for stix_id, _ in world["shared"]],
    )
    report_disseminate(actor=world["analyst"], report=report)
    sent = followed(world)
    assert sent == before


def test_an_agreements_change_computes_everything_again(world: dict[str, Any]) -> None:
    share_objects(world, 0, [("green", {0})])
    share_objects(world, 1, [("green", {0})])
    assert refresh(world) == ("computed", "computed")
    assert view(world)["campaigns"]["count"] == 1
    kestrels = world["agreements"][0]
    agreement_suspend(actor=world["manager"], agreement=kestrels, reason="audit pending")
    assert refresh(world) == ("computed", "computed")
    assert view(world)["campaigns"]["count"] == 0


def test_the_worker_brings_a_partners_rows_up_to_date_after_an_agreements_change(world: dict[str, Any]) -> None:
    """What a read cannot follow (here the reader's own agreement suspended) the worker's next
    round computes for the readers who read recently, so that the reader's next page finds its
    rows current; what a read follows (an ingest) the worker leaves to the read."""
    share_objects(world, 0, [("green", {0})])
    share_objects(world, 1, [("green", {0})])
    assert refresh(world) == ("computed", "computed")
    readers_keep_up()  # this process's account of the store, as a worker that has run before
    assert readers_keep_up() == 0  # nothing moved
    share_objects(world, 2, [("green", {0})])
    assert readers_keep_up() == 0
    assert refresh(world) == ("followed", "followed")
    agreement_suspend(actor=world["manager"], agreement=world["agreements"][0], reason="audit pending")
    call_command("worker", "--batch", stdout=io.StringIO())
    assert refresh(world) == ("current", "current")
    kept = view(world)
    assert kept["campaigns"]["count"] == 0
    assert_computed_alike(world, kept)


def last_read(*readers: Any, days: float) -> None:
    """``readers`` made their accounts long ago and last signed in ``days`` ago (every other
    person's account made long ago, none signed in or used a token: the worker leaves them)."""
    long_ago = timezone.now() - timedelta(days=60)
    User.objects.update(date_joined=long_ago, last_login=None)
    ApiToken.objects.update(last_used_at=None)
    User.objects.filter(pk__in=[reader.pk for reader in readers]).update(
        last_login=timezone.now() - timedelta(days=days)
    )


def test_the_worker_leaves_readers_who_have_not_read_lately(world: dict[str, Any]) -> None:
    """The worker's own computing is no read: a reader who has not signed in for longer than
    ``RECENT`` computes its rows on its next read, however recently the worker last did."""
    share_objects(world, 0, [("green", {0})])
    share_objects(world, 1, [("green", {0})])
    last_read(world["reader"], days=10)
    assert refresh(world) == ("computed", "computed")
    readers_keep_up()
    agreement_suspend(actor=world["manager"], agreement=world["agreements"][1], reason="audit pending")
    assert readers_keep_up() == 1  # read ten days ago: kept up
    assert refresh(world) == ("current", "current")
    last_read(world["reader"], days=30)
    agreement_suspend(actor=world["manager"], agreement=world["agreements"][0], reason="audit pending")
    assert readers_keep_up() == 0
    assert refresh(world) == ("computed", "computed")


def test_the_worker_counts_an_api_tokens_use_as_a_read(world: dict[str, Any]) -> None:
    share_objects(world, 0, [("green", {0})])
    share_objects(world, 1, [("green", {0})])
    last_read(days=0)
    assert refresh(world) == ("computed", "computed")
    readers_keep_up()
    issued = token_issue(actor=None, user=world["reader"], name="SIEM", scopes=["read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert client.get(CAMPAIGNS).status_code == 200  # a read through the token, which notes its use
    agreement_suspend(actor=world["manager"], agreement=world["agreements"][1], reason="audit pending")
    assert readers_keep_up() == 1
    assert refresh(world) == ("current", "current")


def test_the_worker_computes_a_new_readers_rows_before_its_first_page(
    world: dict[str, Any], other_partner: Any
) -> None:
    """An account just made (a partner onboarded) has no kept rows: the worker's next round
    computes them, with no change to the store, so that its first page finds them current; an
    account made long ago that never signed in is left to its own first read."""
    share_objects(world, 0, [("green", {0})])
    share_objects(world, 1, [("green", {0})])
    last_read(days=0)
    readers_keep_up()
    assert readers_keep_up() == 0
    newcomer = UserFactory(username="atlas-analyst", organisation=other_partner, role="partner_reader")
    dormant = UserFactory(username="atlas-dormant", organisation=other_partner, role="partner_reader")
    User.objects.filter(pk=dormant.pk).update(date_joined=timezone.now() - timedelta(days=60))
    assert readers_keep_up() == 1
    assert readers_keep_up() == 0
    for person, how in ((newcomer, "current"), (dormant, "computed")):
        ctx = principal_context(person)
        assert (reader_campaigns_refresh(person, ctx), reader_correlations_refresh(person, ctx)) == (how, how)


def test_the_worker_does_not_retry_a_failing_reader_every_round(
    world: dict[str, Any], other_partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new reader whose rows cannot be computed (logged) is tried once, not again each round
    (seconds each at a million objects), until the store's facts move."""
    last_read(days=0)
    readers_keep_up()
    newcomer = UserFactory(username="atlas-newcomer", organisation=other_partner, role="partner_reader")
    tried: list[int] = []

    def failing(reader: Any, ctx: Any) -> str:
        tried.append(reader.pk)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(readers, "reader_campaigns_refresh", failing)
    assert readers_keep_up() == 1
    assert readers_keep_up() == 0
    assert tried == [newcomer.pk]
    agreement_suspend(actor=world["manager"], agreement=world["agreements"][2], reason="audit pending")
    readers_keep_up()
    assert tried == [newcomer.pk, newcomer.pk]


def test_the_worker_does_the_most_recent_readers_first_and_the_others_in_later_rounds(
    world: dict[str, Any], other_partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no time to spare in a round, each round brings one reader up to date, the one who
    read last first."""
    share_objects(world, 0, [("green", {0})])
    share_objects(world, 1, [("green", {0})])
    atlas = UserFactory(username="atlas-reader", organisation=other_partner, role="partner_reader")
    last_read(atlas, days=2)
    User.objects.filter(pk=world["reader"].pk).update(last_login=timezone.now() - timedelta(days=1))

    def read(reader: Any) -> tuple[str, str]:
        ctx = principal_context(reader)
        return reader_campaigns_refresh(reader, ctx), reader_correlations_refresh(reader, ctx)

    assert refresh(world) == ("computed", "computed")  # Kestrel's reader read last
    assert read(atlas) == ("computed", "computed")
    readers_keep_up()
    monkeypatch.setattr(readers, "BUDGET", 0.0)
    agreement_suspend(actor=world["manager"], agreement=world["agreements"][2], reason="audit pending")  # Corvid's
    assert readers_keep_up() == 1
    assert refresh(world) == ("current", "current")
    assert readers_keep_up() == 1
    assert readers_keep_up() == 0
    assert read(atlas) == ("current", "current")
