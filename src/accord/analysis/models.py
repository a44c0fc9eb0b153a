"""Analysis records kept next to the shared store; none of them copies shared content.

Correlation is stored per observable and per (observable, organisation), never per pair of
objects: its size grows with the links, whatever the overlap (see ``docs/analysis.md``).
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from accord.core.choices import Region, Tlp
from accord.core.models import Organisation, User
from accord.formats.choices import ObservableType
from accord.sharing.models import Observable, StixObject

__all__ = [
    "Campaign",
    "CampaignBridge",
    "CampaignMember",
    "CampaignNote",
    "ContributionCell",
    "Correlation",
    "EnabledCorrelations",
    "ExclusionEntry",
    "ExclusionList",
    "IntelReport",
    "LinkCut",
    "PolicyGroup",
    "ObservableSource",
    "ReaderCampaign",
    "ReaderCampaignMember",
    "ReaderCampaignState",
    "ReaderCorrelation",
    "ReaderCorrelationState",
    "Sighting",
    "StoreChange",
    "TrendCell",
]


class ObservableSource(models.Model):
    """How many live object versions of one organisation mention one observable: the link table
    grouped by (observable, originator), kept up to date by every ingest, revocation and purge."""

    observable = models.ForeignKey(Observable, on_delete=models.CASCADE, related_name="sources", db_index=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    object_count = models.PositiveIntegerField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["observable", "organisation"], name="analysis_source_unique")
        ]

    def __str__(self) -> str:
        return f"{self.observable_id} by {self.organisation_id}: {self.object_count}"


class Correlation(models.Model):
    """An observable that two or more live object versions mention. It *correlates* when they
    come from two or more organisations; it *links* objects into campaigns unless it is known
    benign, over-correlating (more objects than ``ACCORD_CORRELATION_CAP``) or cut by an analyst."""

    observable = models.OneToOneField(
        Observable, on_delete=models.CASCADE, primary_key=True, related_name="correlation"
    )
    organisation_count = models.PositiveIntegerField()
    object_count = models.PositiveIntegerField()
    benign = models.CharField(max_length=200, blank=True, help_text="The list that names the value as benign.")
    over_correlating = models.BooleanField(default=False)
    correlated_at = models.DateTimeField(null=True, blank=True, help_text="When a second organisation reported it.")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [
            # host staff's list in its order (most organisations, most versions, then the key),
            # walked backwards from its end: ten rows of millions read as ten
            models.Index(fields=["organisation_count", "object_count", "-observable"], name="analysis_corr_order"),
            # the known-benign values, read by index (analysis.reader_campaigns: a partner's kept rows)
            models.Index(fields=["observable"], condition=models.Q(benign__gt=""), name="analysis_corr_benign"),
        ]

    def __str__(self) -> str:
        return f"{self.observable_id}: {self.organisation_count} organisations, {self.object_count} objects"

    @property
    def correlates(self) -> bool:
        return self.organisation_count >= 2 and not self.benign


class LinkCut(models.Model):
    """An analyst's decision that an observable is no link between objects (shared hosting, a
    mass-mailer's address): campaigns split where they only held together through it."""

    observable = models.OneToOneField(Observable, on_delete=models.CASCADE, primary_key=True, related_name="+")
    reason = models.CharField(max_length=500)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"cut {self.observable_id}"


class Campaign(models.Model):
    """A connected component of objects linked by observables that may link (see
    :class:`Correlation`), kept up to date as data arrives and leaves; analysts name, annotate,
    merge and split them. The summary columns are refreshed whenever the members change."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    named = models.BooleanField(default=False, help_text="Named by an analyst (kept on merges).")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    first_seen = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    objects_count = models.PositiveIntegerField(default=0)
    observables_count = models.PositiveIntegerField(default=0)
    organisations_count = models.PositiveIntegerField(default=0)
    organisation_ids = models.JSONField(
        default=list, blank=True, help_text="The contributing organisations' ids, sorted (kept as members join)."
    )
    regions = models.JSONField(default=list, blank=True)
    crime_types = models.JSONField(default=list, blank=True, help_text="europol-incident machine tags.")
    policy_groups = models.JSONField(
        default=list,
        blank=True,
        help_text="The policy groups (PolicyGroup ids) of the unrevoked members, least restricted first.",
    )
    first_group = models.BigIntegerField(null=True, blank=True, help_text="The first of policy_groups.")
    second_group = models.BigIntegerField(null=True, blank=True, help_text="The second of policy_groups.")

    class Meta:
        ordering = ("-last_seen", "-pk")
        indexes: ClassVar = [
            # the campaign list walks this order and stops at a page (analysis.selectors.campaign_list)
            models.Index(fields=["last_seen", "id"], name="analysis_campaign_last_idx"),
            # host staff's new campaigns per month: a window's edges counted from the index alone,
            # and the few whose first two groups the reader does not see (campaign_months)
            models.Index(fields=["first_group", "created_at"], name="analysis_campaign_month_idx"),
            models.Index(fields=["first_group", "second_group", "created_at"], name="analysis_campaign_pair_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class PolicyGroup(models.Model):
    """One combination of what the policy decides on for a whole group of object versions —
    originator, the originator's agreement (0 for none), TLP and data category
    (:func:`accord.policy.visible_groups`) — numbered, so that a campaign keeps which of them its
    members fall in (``Campaign.policy_groups``) and a reader's campaigns are found from the groups
    it sees (:mod:`accord.analysis.campaign_months`). Made as members of a new combination join a
    campaign; never changed."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+", db_index=False)
    agreement_key = models.BigIntegerField(default=0)
    tlp = models.CharField(max_length=16, choices=Tlp.choices)
    data_category = models.CharField(max_length=32)
    rank = models.PositiveSmallIntegerField(
        help_text="Where the group comes in a campaign's list: least restricted first (TLP, then no agreement)."
    )

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organisation", "agreement_key", "tlp", "data_category"], name="analysis_policygroup_key"
            ),
        ]

    def __str__(self) -> str:
        return f"org {self.organisation_id} agreement {self.agreement_key or '-'} {self.tlp} {self.data_category}"


class CampaignMember(models.Model):
    """An object version's campaign (at most one)."""

    stix_object = models.OneToOneField(StixObject, on_delete=models.CASCADE, primary_key=True, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")

    class Meta:
        # a campaign's page walks its members in key order from a position
        # (analysis.campaign_reads.campaign_graph)
        indexes: ClassVar = [models.Index(fields=["campaign", "stix_object"], name="analysis_member_campaign_obj")]

    def __str__(self) -> str:
        return f"{self.stix_object_id} in {self.campaign_id}"


class CampaignBridge(models.Model):
    """An analyst's assertion that two objects belong together (how campaigns are merged):
    an edge that holds whatever observables say."""

    object_a = models.ForeignKey(StixObject, on_delete=models.CASCADE, related_name="+")
    object_b = models.ForeignKey(StixObject, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=500)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.object_a_id} = {self.object_b_id}"


class CampaignNote(models.Model):
    """An analyst's annotation of a campaign."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField()
    author = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"note on {self.campaign_id}"


class ReaderCampaign(models.Model):
    """A campaign as one partner user sees it: a connected component of the graph of the objects
    it sees, linked by the observables that link for it and by analysts' bridges between them
    (``docs/analysis.md``). A cache derived from the store, rewritten by
    :mod:`accord.analysis.reader_campaigns` when what it is derived from changes; never edited.

    The id is a keyed digest of the reader and the component's earliest member, so it neither
    depends on objects the reader may not see nor tells how many campaigns exist. The ``seen_*``
    columns carry the names the host's rows get as annotations (``selectors.campaign_list``)."""

    read_from_primary = True  # kept per reader, judged fresh on the primary (core.replicas)

    id = models.PositiveBigIntegerField(primary_key=True)
    reader = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    seen_objects = models.PositiveIntegerField()
    seen_organisations = models.PositiveIntegerField()
    seen_first = models.DateTimeField(null=True)
    seen_last = models.DateTimeField(null=True)
    seen_created = models.DateTimeField(null=True, help_text="When the first of its members was shared.")
    seen_regions = models.JSONField(default=list)
    seen_crime_types = models.JSONField(default=list, help_text="europol-incident machine tags.")

    # What a partner reads of a host campaign besides its figures: analysts' descriptions,
    # names and notes belong to the global campaign, whose extent it may not learn.
    description = ""
    named = False
    notes: tuple[()] = ()

    class Meta:
        indexes: ClassVar = [models.Index(fields=["reader", "seen_last"], name="analysis_readercamp_last")]

    def __str__(self) -> str:
        return self.name


class ReaderCampaignMember(models.Model):
    """An object version in one of a reader's campaigns."""

    read_from_primary = True  # kept per reader, judged fresh on the primary (core.replicas)

    campaign = models.ForeignKey(ReaderCampaign, on_delete=models.CASCADE, related_name="members")
    stix_object = models.ForeignKey(StixObject, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["campaign", "stix_object"], name="analysis_readercamp_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.stix_object_id} in {self.campaign_id}"


class StoreChange(models.Model):
    """One change to what partners' kept rows are derived from, in the order the changes
    committed: the object versions a batch added (``first_object`` to ``last_object``, a range
    that may hold other batches' ids too), versions past their retention deleted (the partners'
    campaigns that held them and the values they mentioned, which leave with them), versions
    revoked (their ids), versions some readers may see now or no longer, or that an analyst's
    bridge joined (their ids), or values that link otherwise now: known-benign flags set again,
    or cut by an analyst (their ids). Written in the upkeep
    turn (:mod:`accord.analysis.upkeep`), which is held until commit, so a reader that sees one
    change sees every earlier one; a reader's rows kept up to one change are brought up to a
    later one by the versions added and deleted since, when nothing else changed
    (:mod:`accord.analysis.reader_inputs`)."""

    class Kind(models.TextChoices):
        ADDED = "added", "objects added"
        PURGED = "purged", "objects past their retention deleted"
        REVOKED = "revoked", "objects revoked"
        REMOVED = "removed", "objects revoked or purged in numbers"
        REFLAGGED = "reflagged", "known-benign flags set again, or values cut"
        NAMED = "named", "objects addressed, kept longer, sent in a report or bridged"

    read_from_primary = True  # readers judge their rows fresh on the primary (core.replicas)

    kind = models.CharField(max_length=16, choices=Kind.choices)
    first_object = models.BigIntegerField(null=True)
    last_object = models.BigIntegerField(null=True)
    # of a purge: the partners' campaigns that held a version deleted, and the values they
    # mentioned; of a reflagging: the values flagged again or cut
    campaigns = models.JSONField(null=True)
    observables = models.JSONField(null=True)
    # of a revocation: the versions revoked; of a naming: the versions named
    versions = models.JSONField(null=True)
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.pk}: {self.kind} {self.first_object}-{self.last_object}"


class ReaderInputs(models.Model):
    """What a reader's kept rows were last computed from: ``inputs``, a digest of everything the
    store's changes do not record (who reads, organisations and agreements), and the last
    :class:`StoreChange` and object version they include."""

    read_from_primary = True  # kept per reader, judged fresh on the primary (core.replicas)

    reader = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True, related_name="+")
    inputs = models.CharField(max_length=64)
    added_through = models.BigIntegerField(default=0, help_text="The last store change included.")
    objects_through = models.BigIntegerField(default=0, help_text="The highest object version id then.")
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class ReaderCampaignState(ReaderInputs):
    """What a reader's campaigns were last computed from and the digest of those written: they
    are computed again only when the inputs change (from the objects added alone when nothing
    else did), and rewritten only when the result differs."""

    digest = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"campaigns of {self.reader_id}: {self.digest[:12]}"


class ReaderCorrelation(models.Model):
    """A correlation as one partner user may know it: an observable its organisation reported
    that an object of another organisation it may see mentions, with the figures it may learn
    (``selectors.correlation_list``). A cache derived from the store, rewritten by
    :mod:`accord.analysis.reader_correlations` when what it is derived from changes (the inputs
    its campaigns are computed from), so that its list orders and pages by index."""

    read_from_primary = True  # kept per reader, judged fresh on the primary (core.replicas)

    reader = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", db_index=False)
    correlation = models.ForeignKey(Correlation, on_delete=models.CASCADE, related_name="reader_rows")
    seen_organisations = models.PositiveIntegerField()
    seen_versions = models.PositiveIntegerField()
    seen_correlated_at = models.DateTimeField(null=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["reader", "correlation"], name="analysis_readercorr_unique")
        ]
        # the order of a partner's correlation list, walked and stopped at a page
        indexes: ClassVar = [
            models.Index(fields=["reader", "-seen_organisations", "correlation"], name="analysis_readercorr_order")
        ]

    def __str__(self) -> str:
        return f"{self.correlation_id} for {self.reader_id}: {self.seen_organisations} organisations"


class ReaderCorrelationState(ReaderInputs):
    """What a reader's :class:`ReaderCorrelation` rows were last computed from (the inputs its
    campaigns are computed from, :class:`ReaderInputs`), and how many there are."""

    # how many rows were written: the reader's correlations, never counted at read time
    correlations = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"correlations of {self.reader_id}: {self.inputs[:12]}"


class ExclusionList(models.Model):
    """A local list of known-benign values, beside the MISP warning lists."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class ExclusionEntry(models.Model):
    """One pattern of a local list: a canonical value, a network (``10.0.0.0/8``) for addresses,
    or ``*.example.org`` for a domain and its subdomains (and URLs and e-mail addresses there)."""

    exclusion_list = models.ForeignKey(ExclusionList, on_delete=models.CASCADE, related_name="entries")
    type = models.CharField(max_length=16, choices=ObservableType.choices)
    pattern = models.CharField(max_length=2048)
    comment = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("type", "pattern")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["exclusion_list", "type", "pattern"], name="analysis_exclusion_unique")
        ]

    def __str__(self) -> str:
        return f"{self.type}:{self.pattern}"


class Sighting(models.Model):
    """An organisation saw a value (its own report, or a STIX ``sighting`` it shared): the
    feedback the originators of the intelligence get back.

    The value is kept on the sighting itself, and ``observable`` names the stored observable of
    that value once there is one (when the sighting is reported, or when an ingest brings the
    value later): a sighting never creates an observable, so nothing a reporter can see (an
    observable id, a count) tells whether the value it reported was already in the store."""

    observable = models.ForeignKey(
        Observable,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sightings",
        help_text="The stored observable of this value, when there is one.",
    )
    type = models.CharField(max_length=16, choices=ObservableType.choices)
    value = models.CharField(max_length=2048, help_text="The canonical value seen.")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    reported_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    count = models.PositiveIntegerField(default=1)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2, where it was seen.")
    region = models.CharField(max_length=32, choices=Region.choices, blank=True)
    note = models.CharField(max_length=1000, blank=True)
    stix_object = models.ForeignKey(
        StixObject, null=True, blank=True, on_delete=models.CASCADE, related_name="+", help_text="A STIX sighting."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-last_seen", "-pk")
        indexes: ClassVar = [
            models.Index(fields=["observable", "last_seen"], name="analysis_sighting_obs"),
            models.Index(fields=["type", "value"], name="analysis_sighting_value"),
        ]

    def __str__(self) -> str:
        return f"{self.type}:{self.value} seen by {self.organisation_id}"


class IntelReport(models.Model):
    """An analyst's intelligence product, built from campaigns and objects. Before it leaves,
    every included object is checked against its originator's agreement for each recipient of
    the audience; what may not go is listed with the reason and left out."""

    class Audience(models.TextChoices):
        ORGANISATIONS = "organisations", "Named organisations"
        REGIONS = "regions", "Organisations of regions"
        LAW_ENFORCEMENT = "law_enforcement", "Member-country law enforcement"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        DISSEMINATED = "disseminated", "Disseminated"

    stix_id = models.CharField(max_length=100, unique=True)
    title = models.CharField(max_length=300)
    summary = models.TextField()
    assessment = models.TextField(blank=True)
    tlp = models.CharField(max_length=16, choices=Tlp.choices, default=Tlp.AMBER)
    audience = models.CharField(max_length=16, choices=Audience.choices)
    audience_organisations = models.ManyToManyField(Organisation, blank=True, related_name="+")
    audience_regions = models.JSONField(default=list, blank=True)
    campaigns = models.ManyToManyField(Campaign, blank=True, related_name="reports")
    objects_included = models.ManyToManyField(StixObject, blank=True, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    dissemination = models.JSONField(
        default=dict, blank=True, help_text="The dissemination check: recipients, included, blocked."
    )
    delivered_to = models.ManyToManyField(Organisation, blank=True, related_name="+")
    collection = models.OneToOneField(
        "taxii.Collection",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="report",
        help_text="The TAXII collection its recipients read it from (made when it is disseminated).",
    )
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    disseminated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return self.title


class CampaignMonthCell(models.Model):
    """How many campaigns were made in a month (UTC) whose first two policy groups are these
    (``Campaign.first_group``, ``second_group``; 0 for a campaign of one group): kept by the
    database itself, by triggers on the campaigns' table, through every path that makes,
    changes or deletes campaigns (migration ``0018``), so that host staff's new campaigns per
    month sum a few cells instead of counting the campaigns (:mod:`accord.analysis.campaign_months`).
    A cell may stay at 0 once its campaigns are gone."""

    month = models.CharField(max_length=7, help_text="YYYY-MM of the campaign's creation, UTC.")
    first_group = models.BigIntegerField()
    second_group = models.BigIntegerField(default=0)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["month", "first_group", "second_group"], name="analysis_campaignmonthcell_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month} groups {self.first_group}, {self.second_group or '-'}: {self.count}"


class TrendCell(models.Model):
    """How many object versions of one group were shared: the store counted by month created
    (UTC), crime type, originator, the originator's agreement, TLP and data category, kept by
    every ingest, revocation, restoration and purge in its transaction
    (:mod:`accord.analysis.aggregates`) and rebuilt by ``accord aggregates rebuild``.

    Only what a whole group shares is in its key, so that a reader's figures are the sum of the
    groups the policy lets it see (:func:`accord.policy.visible_groups`); the objects it sees by
    a grant of its own (addressed to it, naming it) are added one by one. Counted: stored,
    unrevoked versions that are not the host's products for their addressees only."""

    month = models.CharField(max_length=7, help_text="YYYY-MM of the STIX created time, UTC.")
    crime_type = models.CharField(max_length=64, blank=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+", db_index=False)
    # the originator's agreement the versions were shared under; 0 for none (a key part: never null)
    agreement_key = models.BigIntegerField(default=0)
    tlp = models.CharField(max_length=16, choices=Tlp.choices)
    data_category = models.CharField(max_length=32)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["month", "crime_type", "organisation", "agreement_key", "tlp", "data_category"],
                name="analysis_trendcell_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.crime_type or '-'} org {self.organisation_id}: {self.count}"


class ContributionCell(models.Model):
    """How many object versions one organisation shared on one day (UTC, by the time the hub
    received them), kept as :class:`TrendCell` is (:mod:`accord.analysis.aggregates`): the
    "objects shared" of the contributions, read from the cells of the window's whole days.
    Counted: stored, unrevoked versions that are not the host's products for their addressees
    only. Only the organisation itself and host staff read its figure."""

    day = models.CharField(max_length=10, help_text="YYYY-MM-DD of the time received, UTC.")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+", db_index=False)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "day"], name="analysis_contributioncell_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} org {self.organisation_id}: {self.count}"


class EnabledCorrelations(models.Model):
    """How many correlations one organisation's data enabled: the observables it reported that
    another organisation reported too, known-benign ones aside (the contributions' "correlations
    enabled" that host staff read). Kept by the correlation upkeep in the writer's transaction, as
    sources and correlations change (:mod:`accord.analysis.enabled`), and computed again by a
    rebuild."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, primary_key=True, related_name="+")
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"org {self.organisation_id}: {self.count} correlations enabled"
