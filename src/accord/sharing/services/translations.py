"""Translations (STIX 2.1 ``language-content``): the text of another object in other languages,
held under that object's data category, so that a rule withholding the object's name or
description withholds its translations too.

The object translated is looked for among the submitting organisation's own objects (those
this submission wrote included), and only there: another organisation's object is not the
sender's to classify by, and the answer would tell the sender what that object holds. A
translation of an object it does not hold is held under the most sensitive category the
sender's agreement covers, which is what the translated text may carry.
"""

from __future__ import annotations

from collections.abc import Callable

from accord.formats.base import ParsedObject, ReadError
from accord.sharing.models import StixObject
from accord.sharing.services.categories import most_sensitive
from accord.sharing.store import BatchWriter, RefusalLog, Row

# Translations held back until the objects they translate are written; a bundle of nothing but
# translations is written this many at a time.
HELD = 1000


class TranslationWriter:
    """Takes a submission's translations, classifies each by what it translates once that is
    written, and hands its row (or its refusal) on, inside the ingest's transaction."""

    def __init__(
        self,
        *,
        organisation_id: int,
        covered: list[str],
        writer: BatchWriter,
        refusals: RefusalLog,
        admit: Callable[[ParsedObject, str], Row | ReadError],
    ) -> None:
        self.organisation_id = organisation_id
        self.unknown = most_sensitive(covered)
        self.writer = writer
        self.refusals = refusals
        self.admit = admit  # the object's row, or why it is refused, held under a given category
        self.pending: list[ParsedObject] = []

    def add(self, item: ParsedObject) -> None:
        self.pending.append(item)
        if len(self.pending) >= HELD:
            self.flush()

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        if not pending:
            return
        self.writer.flush()  # what the submission holds so far is written: its categories are known
        refs = {str(item.stix["object_ref"]) for item in pending}
        held: dict[str, set[str]] = {}
        rows = StixObject.objects.filter(organisation_id=self.organisation_id, stix_id__in=refs)
        for stix_id, category in rows.values_list("stix_id", "data_category").iterator():
            held.setdefault(stix_id, set()).add(category)
        for item in pending:
            categories = held.get(str(item.stix["object_ref"]))
            outcome = self.admit(item, most_sensitive(categories) if categories else self.unknown)
            if isinstance(outcome, ReadError):
                self.refusals.add(outcome)
            else:
                self.writer.add(outcome)
        self.writer.flush()
