"""TAXII collections (which objects, who may read or write) and status resources of POSTs."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from accord.core.models import Organisation, User
from accord.sharing.models import StixObject, Submission, VisibilityChange
from accord.taxii.choices import CollectionKind
from accord.taxii.kinds import spec_key_names, spec_value_errors

__all__ = ["Collection", "Departure", "Membership", "Status"]


class Collection(models.Model):
    """A TAXII 2.1 Collection (§3.4 and §5): a named view over the shared-object store.

    What it holds is data: ``kind`` says whether it takes writes (an ``inbox`` is where one
    organisation posts its data, as submissions under its agreement); ``spec`` narrows the
    objects (``{"region": ["europe"]}``, ``{"crime_type": ["bec"]}``; keys in
    :data:`accord.taxii.choices.SPEC_FIELDS` and those other apps register in
    :mod:`accord.taxii.kinds`; ``stix_id`` and ``campaign`` name objects and are OR-ed, the
    other keys narrow); ``readers`` narrows who may read an operation's
    collection to the operation's participants, and a report's to its recipients. Whatever
    the spec, every read goes through :mod:`accord.policy`: a collection never shows more
    than its reader may see anyway.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=CollectionKind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    alias = models.SlugField(max_length=100, unique=True, help_text="TAXII 2.1 §5.2 alias, e.g. 'region-europe'.")
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="taxii_collections",
        help_text="For an inbox: the organisation whose data it takes.",
    )
    spec = models.JSONField(default=dict, blank=True, help_text="Which objects it holds; keys from SPEC_FIELDS.")
    read_back = models.BooleanField(
        default=True,
        help_text="Inbox only: its organisation's people may read back (and delete) what the organisation shared. "
        "Off makes it a write-only drop box.",
    )
    readers = models.ManyToManyField(
        Organisation,
        blank=True,
        related_name="readable_collections",
        help_text="Operation or report only: when any are named, only their people (and host staff) may read it.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering: ClassVar = ["kind", "title"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(kind="inbox"),
                name="taxii_collection_one_inbox_per_organisation",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="inbox") | models.Q(organisation__isnull=False),
                name="taxii_collection_inbox_has_organisation",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors = spec_errors(self.spec)
        if errors:
            raise ValidationError({"spec": errors})

    @property
    def is_inbox(self) -> bool:
        return self.kind == CollectionKind.INBOX


def spec_errors(spec: Any) -> list[str]:
    """What is wrong with a collection spec (empty when it is usable)."""
    if not isinstance(spec, dict):
        return ["A spec is a JSON object."]
    keys = spec_key_names()
    errors = [f"Unknown key {key!r}; one of {', '.join(keys)}." for key in spec if key not in keys]
    errors += [f"{key}: a list of values." for key, value in spec.items() if not isinstance(value, list)]
    errors += [
        problem for key, value in spec.items() if isinstance(value, list) and (problem := spec_value_errors(key, value))
    ]
    return errors


class Membership(models.Model):
    """An object version that joined a collection naming objects (``stix_id``, ``campaign``: an
    operation's links, a campaign's members) after it was in the store: for that collection its
    date added is when it joined, if later than its date added for the reader (TAXII 2.1 §3.2:
    the date it was added *to the collection*). A version without a row has been held since its
    ingest. ``joined_at`` stays at the previous time (or empty) until the change that moved it is
    published, after its commit, behind the same hold-back as ingests (the change's
    :class:`~accord.sharing.models.VisibilityChange`)."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="+", db_index=False)
    stix_object = models.ForeignKey(StixObject, on_delete=models.CASCADE, related_name="memberships", db_index=False)
    change = models.ForeignKey(VisibilityChange, on_delete=models.CASCADE, related_name="+")
    joined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["stix_object", "collection"], name="taxii_membership_unique"),
        ]
        indexes: ClassVar = [  # a collection's late joins in date order: a range read, as the objects' own
            models.Index(fields=["collection", "joined_at", "stix_object"], name="taxii_membership_joined_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.stix_object_id} joined {self.collection_id} at {self.joined_at}"


class Departure(models.Model):
    """An object version that left a collection naming objects (unlinked from an operation,
    split or taken out of a campaign): what the collection's ``…/withdrawn/`` lists to readers
    who may receive the version, dated when its change is published (empty until then)."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="+", db_index=False)
    stix_object = models.ForeignKey(StixObject, on_delete=models.CASCADE, related_name="+")
    change = models.ForeignKey(VisibilityChange, on_delete=models.CASCADE, related_name="+")
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["collection", "left_at", "id"], name="taxii_departure_left_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.stix_object_id} left {self.collection_id} at {self.left_at}"


class Status(models.Model):
    """A TAXII 2.1 Status resource (§4.3.1): the state of one POST to an inbox, read from the
    submission it became, with the (id, version) of every object the envelope carried."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="statuses")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="taxii_statuses")
    requested_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    request_timestamp = models.DateTimeField(default=timezone.now)
    entries = models.JSONField(default=list, help_text="[[id, version or null], ...] in envelope order.")

    class Meta:
        verbose_name_plural = "statuses"

    def __str__(self) -> str:
        return f"status {self.id} (submission {self.submission_id})"
