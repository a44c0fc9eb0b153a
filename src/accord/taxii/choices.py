"""Vocabularies of the TAXII app."""

from django.db import models

__all__ = ["SPEC_FIELDS", "CollectionKind"]


class CollectionKind(models.TextChoices):
    """What a collection is for. The kind says whether it takes writes; its ``spec`` says which
    objects it holds (see :data:`SPEC_FIELDS`). These are the values the ``kind`` column takes;
    ``operation`` and ``report`` are usable once their apps register them
    (:mod:`accord.taxii.kinds`), which also says whose collections name readers."""

    INBOX = "inbox", "Inbox of an organisation"
    ALL = "all", "Everything you may see"
    REGION = "region", "Shared from one region"
    OPERATION = "operation", "One operation"
    REPORT = "report", "One intelligence report"


# TAXII's own keys of a collection's ``spec``, and the StixObject lookup each one becomes; the
# apps above register more (``campaign``: :mod:`accord.taxii.kinds`). A new collection (an
# operation, a crime type, a region) is a row with a spec, not new code.
SPEC_FIELDS: dict[str, str] = {
    "region": "organisation__region__in",
    "crime_type": "crime_type__in",
    "type": "type__in",
    "data_category": "data_category__in",
    "organisation": "organisation_id__in",
    "stix_id": "stix_id__in",
}
