"""Shared objects and the handling conditions every policy decision reads."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils import timezone

from accord.core.choices import DataCategory, Purpose, ReliabilityGrade, Tlp
from accord.core.models import Organisation, User
from accord.formats.choices import ObservableType
from accord.partners.models import Agreement
from accord.sharing.choices import Nature, SentForm, SubjectCategory, SubmissionFormat, SubmissionStatus
from accord.sharing.sent import sent_form


class BodyField(models.JSONField):
    """JSON without SQLite's ``JSON_VALID`` check: bodies are written by ``orjson`` (the ingest)
    or the ORM, both valid by construction, and the check parsed every body again on insert."""

    def db_check(self, connection: Any) -> str | None:
        return None


class Submission(models.Model):
    """One ingest: the raw bytes (content-addressed by SHA-256), who sent them under which
    agreement, and how it went, object by object. ``done`` stored every object but those it
    refused, each with where, which field and why (:class:`Refusal`); ``failed`` stored nothing:
    the file could not be read at all, or it is ``strict`` and something was refused. Counts
    are exact; ``errors`` keeps the first hundred refusals for a quick look."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="submissions")
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="submissions")
    submitted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    format = models.CharField(max_length=16, choices=SubmissionFormat.choices)
    filename = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    tlp = models.CharField(max_length=16, choices=Tlp.choices, blank=True, help_text="Marking for unmarked objects.")
    strict = models.BooleanField(default=False, help_text="All or nothing: any refused object fails the whole.")
    status = models.CharField(max_length=16, choices=SubmissionStatus.choices, default=SubmissionStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent of the bytes read.")
    objects_count = models.PositiveIntegerField(default=0, help_text="Objects read, taken or refused.")
    observables_count = models.PositiveIntegerField(default=0)
    new_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0, help_text="Objects refused.")
    errors = models.JSONField(default=list, blank=True, help_text="The first refusals (every one is a Refusal).")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times its ingest was begun.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["agreement", "sha256"], name="sharing_submission_once_per_agreement"),
        ]
        indexes: ClassVar = [  # the ingests in progress, read by every TAXII read (a handful of rows)
            models.Index(
                fields=["started_at"],
                name="sharing_submission_running_idx",
                condition=models.Q(status=SubmissionStatus.PROCESSING),
            ),
        ]

    def __str__(self) -> str:
        return f"submission {self.pk} ({self.format}, {self.status})"

    @property
    def raw_path(self) -> str:
        return f"submissions/{self.sha256[:2]}/{self.sha256}"

    @property
    def accepted_count(self) -> int:
        """Objects taken: stored now, or already held (the same version sent before); none of
        a failed submission."""
        if self.status == SubmissionStatus.FAILED:
            return 0
        return max(self.objects_count - self.rejected_count, 0)


class Refusal(models.Model):
    """One part of a submission that was not stored (an object, a CSV row, a MISP attribute or
    event), in the order the ingest met it: where it is, which field, and why. Every refusal of a
    ``done`` submission is kept, so the list pages however large the file; a ``failed`` one keeps
    what its ``errors`` holds (what made it fail comes first)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="refusals")
    number = models.PositiveIntegerField(help_text="1, 2, … in the order the ingest met them.")
    where = models.CharField(max_length=500)
    field = models.CharField(max_length=200, blank=True)
    message = models.TextField()

    class Meta:
        ordering = ["submission", "number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["submission", "number"], name="sharing_refusal_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.where}, {self.field}: {self.message}"


class Observable(models.Model):
    """One observable in its canonical form, whoever reported it (see ``normalisers``)."""

    type = models.CharField(max_length=16, choices=ObservableType.choices)
    value = models.CharField(max_length=2048)
    extra = models.JSONField(default=dict, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["type", "value"], name="sharing_observable_unique")]
        # the observables list walks this order (latest reported first) and stops at a page
        indexes: ClassVar = [models.Index(fields=["last_seen", "id"], name="sharing_observable_last_idx")]

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"


__all__ = [
    "Arrival",
    "MarkingDefinition",
    "ObjectMarking",
    "ObjectObservable",
    "Observable",
    "Refusal",
    "StixObject",
    "Submission",
    "VisibilityChange",
    "Withdrawal",
]


class StixObject(models.Model):
    """One version of a STIX 2.1 object shared through Accord (``stix_id`` + ``modified``).

    Provenance (originating organisation, agreement) and handling (TLP 2.0 marking, data
    category, purpose, named recipients for RED, organisations it is addressed to — for AMBER,
    or whatever the TLP for a host product sent to them only —, retention, revocation) travel
    with it; :mod:`accord.policy` reads them on every access.
    """

    stix_id = models.CharField(max_length=100)
    type = models.CharField(max_length=64)
    spec_version = models.CharField(max_length=8, default="2.1")
    created = models.DateTimeField()
    modified = models.DateTimeField()
    body = BodyField(default=dict)
    # Indexed together with ``tlp`` (below), which serves every lookup by organisation.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="shared_objects", db_index=False
    )
    agreement = models.ForeignKey(
        Agreement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shared_objects",
        help_text="The originator's data-sharing agreement it was shared under (none for the host's own).",
    )
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.PROTECT, related_name="stix_objects"
    )
    tlp = models.CharField(max_length=16, choices=Tlp.choices)
    reliability = models.CharField(max_length=1, choices=ReliabilityGrade.choices, default=ReliabilityGrade.X)
    credibility = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Information credibility 1-4.")
    subject_category = models.CharField(
        max_length=16,
        choices=SubjectCategory.choices,
        blank=True,
        help_text="Whom personal data is about (x_accord_data_subject).",
    )
    nature = models.CharField(
        max_length=16,
        choices=Nature.choices,
        blank=True,
        help_text="Personal data as fact or assessment (x_accord_nature).",
    )
    crime_type = models.CharField(
        max_length=64,
        blank=True,
        help_text="e.g. phishing, bec, ransomware (x_accord_crime_type or the first label).",
    )
    observables = models.ManyToManyField(Observable, through="ObjectObservable", related_name="stix_objects")
    data_category = models.CharField(max_length=32, choices=DataCategory.choices)
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.INVESTIGATION)
    recipients = models.ManyToManyField(
        User, blank=True, related_name="red_objects", help_text="The people a TLP:RED object is for."
    )
    addressed_to = models.ManyToManyField(
        Organisation,
        blank=True,
        related_name="addressed_objects",
        help_text="Organisations a TLP:AMBER object is explicitly shared with.",
    )
    # A database default too: the store's bulk INSERT names its columns and leaves this one out.
    addressees_only = models.BooleanField(
        default=False,
        db_default=False,
        help_text="A product of the hosting organisation (a disseminated intelligence report) that reaches "
        "only the organisations it is addressed to, whatever its TLP.",
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    added_at = models.DateTimeField(default=timezone.now, editable=False)
    # The TLP labels its ``granular_markings`` give some of its fields (comma-separated), so that
    # the policy knows without reading the body whether a field may be withheld from a reader.
    granular_tlps = models.CharField(max_length=64, blank=True, default="", db_default="")
    # What its body becomes when it leaves whole (accord.sharing.sent), known when it is stored:
    # a TAXII page serves most bodies as stored text, without parsing them. Anything written
    # without it is read and rewritten, which is always right.
    sent_form = models.PositiveSmallIntegerField(
        choices=SentForm.choices, default=SentForm.REWRITTEN, db_default=SentForm.REWRITTEN
    )

    class Meta:
        ordering = ["-added_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["stix_id", "modified"], name="sharing_object_version_unique"),
            models.CheckConstraint(condition=models.Q(tlp__in=Tlp.values), name="sharing_object_tlp_valid"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["organisation", "tlp"]),
            models.Index(fields=["expires_at"]),
            # TAXII pages walk objects in the order they were added (keyset on added_at, id).
            models.Index(fields=["added_at", "id"], name="sharing_object_added_idx"),
            # Trends count the partial months at a window's edges by created time (analysis.aggregates).
            models.Index(fields=["created"], name="sharing_object_created_idx"),
            # Contributions count each partner's objects added in a period (analysis.selectors).
            models.Index(fields=["organisation", "added_at"], name="sharing_object_org_added_idx"),
            # A partner's kept campaigns and correlations tell whether the store changed by the
            # revoked versions, among others (analysis.reader_campaigns): counted by index.
            models.Index(fields=["id"], condition=models.Q(revoked=True), name="sharing_object_revoked_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.stix_id} ({self.modified:%Y-%m-%d})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saved with the form its body is sent in (the ingest's bulk writes record it too)."""
        fields = kwargs.get("update_fields")
        if fields is None or {"body", "tlp"} & set(fields):
            self.sent_form = sent_form(self.body if isinstance(self.body, dict) else {}, self.tlp)
            if fields is not None:
                kwargs["update_fields"] = {*fields, "sent_form"}
        super().save(*args, **kwargs)


class ObjectObservable(models.Model):
    """Which object mentions which observable: the table correlation groups by (linear, no
    pairwise rows)."""

    # No index of their own: the unique pair serves lookups by object, the index on
    # (observable, object) lookups by observable. Every ingest writes these rows.
    stix_object = models.ForeignKey(StixObject, on_delete=models.CASCADE, related_name="links", db_index=False)
    observable = models.ForeignKey(Observable, on_delete=models.CASCADE, related_name="links", db_index=False)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["stix_object", "observable"], name="sharing_link_unique"),
        ]
        indexes: ClassVar = [models.Index(fields=["observable", "stix_object"])]

    def __str__(self) -> str:
        return f"{self.stix_object_id} → {self.observable_id}"


class MarkingDefinition(models.Model):
    """A marking definition (STIX 2.1 §7.2.1: a statement, IEP, or any custom marking) that a
    partner sent, kept as sent and apart from shared data: it is how data is to be handled, not
    data. One per id: marking definitions have no versions (they are immutable), so the same id
    sent again must carry the same content. The standard TLP definitions are never stored: they
    are known as published (:data:`accord.formats.markings.STANDARD_DEFINITIONS`). A definition
    travels with the objects that refer to it, to whoever may receive one of them."""

    stix_id = models.CharField(max_length=100, unique=True)
    body = BodyField()
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="marking_definitions",
        help_text="The organisation that sent it first.",
    )
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.SET_NULL, related_name="marking_definitions"
    )
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return self.stix_id


class ObjectMarking(models.Model):
    """Which object version refers to which marking definition other than a TLP one (in
    ``object_marking_refs`` or ``granular_markings``), whether or not the definition was sent:
    who may read the definition (those who may see an object that refers to it) is answered
    without reading bodies."""

    stix_object = models.ForeignKey(StixObject, on_delete=models.CASCADE, related_name="marking_links", db_index=False)
    marking_ref = models.CharField(max_length=100)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["stix_object", "marking_ref"], name="sharing_object_marking_unique"),
        ]
        indexes: ClassVar = [models.Index(fields=["marking_ref", "stix_object"])]

    def __str__(self) -> str:
        return f"{self.stix_object_id} → {self.marking_ref}"


class VisibilityChange(models.Model):
    """One change that made object versions visible to organisations that could not see them
    (an agreement activated or amended, an object restored, addressed or kept longer), or hid
    them from organisations that could: the :class:`Arrival` and :class:`Withdrawal` rows it
    recorded, in the transaction of the change, and when they were published.

    Its rows get their date on publication, after the change has committed: the change is first
    marked ``publishing`` (committed on its own), then its rows are stamped, so that a TAXII read
    holds back what is dated after the earliest publication in progress, as it does for ingests
    (:func:`accord.taxii.selectors.collection_objects`); no read can have handed out a position
    past a date stamped later."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PUBLISHING = "publishing", "Publishing"
        DONE = "done", "Done"

    class Kind(models.TextChoices):
        """What changed, as partners' kept rows (``analysis.reader_inputs``) tell changes apart:
        revocations, restorations and changes to named versions (addressed, kept longer, sent in
        a report) they follow from the store's own record of the versions (told to the store's
        listeners); a collection's members concern none of them; any other change (an
        organisation's, an agreement's) has them computed again."""

        OTHER = "other", "Other"
        REVOKED = "revoked", "Revoked"
        RESTORED = "restored", "Restored"
        COLLECTION = "collection", "A collection's members"
        NAMED = "named", "Named versions"

    cause = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.OTHER)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, help_text="When its publication began.")
    published_at = models.DateTimeField(null=True, blank=True)
    arrivals = models.PositiveIntegerField(default=0)
    withdrawals = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes: ClassVar = [  # the publications in progress, read by every TAXII read (none, mostly)
            models.Index(
                fields=["started_at"],
                name="sharing_change_publishing_idx",
                condition=models.Q(status="publishing"),
            ),
            models.Index(
                fields=["created_at"], name="sharing_change_pending_idx", condition=models.Q(status="pending")
            ),
        ]

    def __str__(self) -> str:
        return f"visibility change {self.pk} ({self.cause}, {self.status})"


class Arrival(models.Model):
    """An object version that became visible to an organisation after it was added to the store:
    for that organisation's readers it was added at ``visible_at`` (TAXII 2.1 ``date_added`` is
    the date an object was added to the collection, and what a reader's collection holds depends
    on the reader). One row per organisation and version, moved to the latest time it became
    visible; ``visible_at`` stays at the previous time (or empty) until the change that moved it
    is published."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+", db_index=False)
    stix_object = models.ForeignKey(StixObject, on_delete=models.CASCADE, related_name="arrivals", db_index=False)
    change = models.ForeignKey(VisibilityChange, on_delete=models.CASCADE, related_name="+")
    visible_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["stix_object", "organisation"], name="sharing_arrival_unique"),
        ]
        indexes: ClassVar = [  # a reader's late arrivals in date order: a range read, as the objects' own
            models.Index(fields=["organisation", "visible_at", "stix_object"], name="sharing_arrival_reader_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.stix_object_id} → {self.organisation_id} at {self.visible_at}"


class Withdrawal(models.Model):
    """An object version an organisation could receive and no longer may (its agreement
    suspended, the object revoked): what ``…/withdrawn/`` tells its readers, dated when the
    change that withdrew it was published (empty until then)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+", db_index=False)
    stix_object = models.ForeignKey(StixObject, on_delete=models.CASCADE, related_name="withdrawals")
    change = models.ForeignKey(VisibilityChange, on_delete=models.CASCADE, related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["organisation", "withdrawn_at", "id"], name="sharing_withdrawal_reader_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.stix_object_id} withdrawn from {self.organisation_id} at {self.withdrawn_at}"


class WindowPassage(models.Model):
    """The passing of one edge of an agreement's validity window (its version in force opening
    at ``valid_from`` or ending at ``valid_until``), recorded once: what it made visible to the
    organisation, or hid from it, went out as a :class:`VisibilityChange` (none when nothing
    changed or the agreement was not active then). Time passes with no service to watch it, so
    the edges are looked for before every watched change and in every round of the worker
    (:func:`accord.sharing.services.visibility.visibility_windows_pass`); this row is what makes
    a late or repeated look record nothing twice."""

    class Edge(models.TextChoices):
        OPENS = "opens", "Opens"
        ENDS = "ends", "Ends"

    version = models.ForeignKey("partners.AgreementVersion", on_delete=models.CASCADE, related_name="+")
    edge = models.CharField(max_length=8, choices=Edge.choices)
    at = models.DateTimeField(help_text="The moment the window opened or ended.")
    change = models.ForeignKey(VisibilityChange, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["version", "edge"], name="sharing_window_passage_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.edge} at {self.at}"
