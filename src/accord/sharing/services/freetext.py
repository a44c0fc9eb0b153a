"""Storing what a person kept of a free-text review (:mod:`accord.sharing.freetext`)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import orjson

from accord.core.errors import ValidationFailed
from accord.core.guards import require
from accord.core.models import Organisation, User
from accord.core.roles import Perm
from accord.formats.base import Mention
from accord.formats.normalisers import InvalidObservable, normalise
from accord.formats.text import TextReader, stamp
from accord.sharing.models import Submission
from accord.sharing.services.ingest import minting_namespace
from accord.sharing.services.submissions import submission_create, submission_start

__all__ = ["freetext_commit", "freetext_problems"]


def freetext_problems(rows: Sequence[tuple[str, str, str]]) -> dict[int, str]:
    """What is wrong with each kept value (numbered from 1 in the review's order): a type and
    value that do not make a valid observable, said as the normaliser says it."""
    problems: dict[int, str] = {}
    for number, (kind, value, _) in enumerate(rows, start=1):
        try:
            normalise(kind, value)
        except InvalidObservable as exc:
            problems[number] = str(exc)
    return problems


def freetext_commit(
    *,
    actor: User | None,
    organisation: Organisation,
    rows: Sequence[tuple[str, str, str]],
    filename: str = "",
    tlp: str | None = None,
    agreement: str | None = None,
) -> Submission:
    """Share the values a person kept of a free-text review (type, value as they left them, and
    the sentence each came from): one indicator each, as the free-text reader makes them (the
    same ids), sent through the ingest like any file, so that the submission says object by
    object what was stored. Every value is checked first: one that is not a valid observable
    stores nothing and is named (``values`` in the details, by its number)."""
    require(actor, Perm.SHARING_SUBMIT)
    if not rows:
        raise ValidationFailed("values: keep at least one value to share.", details={"values": ["Keep at least one."]})
    problems = freetext_problems(rows)
    if problems:
        first = min(problems)
        raise ValidationFailed(
            f"values: value {first} ({rows[first - 1][1]}): {problems[first]}"
            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
            details={"values": {str(number): [message] for number, message in problems.items()}},
        )
    reader = TextReader(namespace=minting_namespace(organisation.pk))
    now = stamp()
    indicators: dict[tuple[str, str], dict[str, object]] = {}
    for kind, value, context in rows:
        canonical = normalise(kind, value)
        mention = Mention(canonical.type, canonical.value, context)
        indicators.setdefault((mention.type, mention.value), reader.indicator(mention, now))
    bundle = orjson.dumps({"type": "bundle", "id": reader.mint_id("bundle", now), "objects": list(indicators.values())})
    name = f"{filename or 'pasted text'} (reviewed)"[:255]
    submission, created = submission_create(
        actor=actor,
        organisation=organisation,
        stream=io.BytesIO(bundle),
        filename=name,
        format="stix",
        tlp=tlp or None,
        agreement=agreement or None,
    )
    return submission_start(submission=submission) if created else submission
