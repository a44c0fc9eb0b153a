"""Vocabularies of the TAXII app."""

from django.db import models

__all__ = ["NAMING_KEYS", "READER_KINDS", "SPEC_FIELDS", "CollectionKind"]


class CollectionKind(models.TextChoices):
    """What a collection is for. The kind says whether it takes writes; its ``spec`` says which
    objects it holds (see :data:`SPEC_FIELDS`)."""

    INBOX = "inbox", "Inbox of an organisation"
    ALL = "all", "Everything you may see"
    REGION = "region", "Shared from one region"
    OPERATION = "operation", "One operation"
    REPORT = "report", "One intelligence report"


# The kinds whose ``readers`` (an operation's participants, a report's recipients) narrow who
# may read them.
READER_KINDS: frozenset[str] = frozenset({CollectionKind.OPERATION, CollectionKind.REPORT})


# The keys a collection's ``spec`` may use, and the StixObject lookup each one becomes. A new
# collection (an operation, a crime type, a region) is a row with a spec, not new code.
SPEC_FIELDS: dict[str, str] = {
    "region": "organisation__region__in",
    "crime_type": "crime_type__in",
    "type": "type__in",
    "data_category": "data_category__in",
    "organisation": "organisation_id__in",
    "stix_id": "stix_id__in",
    # Ids of analysis campaigns: their member versions at the time of reading (a subquery, so
    # the collection follows the campaign as it grows, merges and splits).
    "campaign": "pk__in",
}

# The keys that name objects rather than narrow them: an object any of them names is held
# (they are OR-ed together), and the other keys narrow that (AND).
NAMING_KEYS: tuple[str, ...] = ("stix_id", "campaign")
