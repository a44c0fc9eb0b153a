"""A page of objects as one reader receives them, from the rows of a TAXII read: each row passes
``decide`` again (its redactions, and a second lock behind the SQL's), and its body is sent as
the policy lets it out.

Most bodies leave whole, and most of those need no reading: the store recorded when it wrote the
version what its body becomes then (:mod:`accord.sharing.sent`), so the stored text is sent as
it is, or with its TLP marking and extension declarations put before its closing brace. Only a
body from which something is withheld, or one the store could not tell about, is parsed and
rewritten (:func:`accord.formats.stix.as_sent`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, QuerySet, TextField, prefetch_related_objects
from django.db.models.base import ModelState
from django.db.models.functions import Cast

from accord.core.choices import DataCategory, Tlp
from accord.core.models import Organisation, User
from accord.formats.markings import marking_refs
from accord.formats.stix import as_sent
from accord.policy import Action, Decision, PrincipalContext, decide, originator_agreements, tlp_grant
from accord.sharing.choices import SentForm
from accord.sharing.models import StixObject
from accord.sharing.selectors import marking_definitions
from accord.sharing.sent import sent_tail, sent_text
from accord.taxii.listing import stored_moment
from accord.taxii.paging import Position

__all__ = ["SERVED_FIELDS", "ServedPage", "definitions_for", "served", "served_page"]

ACTION = Action.EXPORT

# What ``decide`` reads of an object besides its expiry: the columns of the instances it is
# given, and (with the expiry) the key under which a page shares one decision between rows. A
# column ``decide`` starts reading belongs here, so that both follow.
_DECISION_INPUTS = (
    "organisation_id",
    "agreement_id",
    "tlp",
    "data_category",
    "revoked",
    "addressees_only",
    "granular_tlps",
)
# A served row: its key, the decision's inputs, its STIX id and type, the form its body is sent
# in whole, the expiry (whether it has passed, in SQL, and as text), the paging key's date as
# text, and the body as JSON text. Model fields first, then the annotations: the rows come in
# that order. Dates as text: the SQLite driver would otherwise parse two per row, for the few
# rows that need them.
SERVED_FIELDS = (
    "id",
    *_DECISION_INPUTS,
    "stix_id",
    "type",
    "sent_form",
    "expired",
    "expires_text",
    "added_text",
    "body_json",
)
_PK, _TLP, _CATEGORY, _REVOKED, _AUDIENCE, _GRANULAR, _EXPIRED, _EXPIRES, _ADDED, _BODY, _STIX_ID, _TYPE, _FORM = (
    SERVED_FIELDS.index(name)
    for name in (
        "id",
        "tlp",
        "data_category",
        "revoked",
        "addressees_only",
        "granular_tlps",
        "expired",
        "expires_text",
        "added_text",
        "body_json",
        "stix_id",
        "type",
        "sent_form",
    )
)
_INPUTS = slice(1, 1 + len(_DECISION_INPUTS))
# Their decision also reads the object's addressees or named recipients: decided row by row.
_ONE_BY_ONE = frozenset({Tlp.AMBER, Tlp.RED})


@dataclass(frozen=True)
class ServedPage:
    """A page of objects as one reader receives them: each object's JSON (fields the originator's
    agreement withholds removed, its TLP 2.0 marking in ``object_marking_refs``), the keyset
    positions of the first and last rows read, and whether more follow."""

    objects: list[bytes]
    first: Position | None
    last: Position | None
    more: bool
    personal: list[str] = field(default_factory=list)  # the STIX ids of personal data served


def served(part: QuerySet[StixObject], now: datetime) -> QuerySet[StixObject]:
    """``part`` with what a served row reads besides its columns (:data:`SERVED_FIELDS`)."""
    text = TextField()
    return part.annotate(
        expired=ExpressionWrapper(Q(expires_at__lte=now), output_field=BooleanField()),
        expires_text=Cast("expires_at", output_field=text),
        added_text=Cast("added_on", output_field=text),
        body_json=Cast("body", output_field=text),
    )


def _decision_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Under what a row's decision is kept: its own id when the decision reads its addressees
    or named recipients (TLP:AMBER, TLP:RED, or a host product for its addressees only), or its
    body (granular markings name the fields they mark); else every input of the decision, and
    whether it has expired, which rows of one originator and agreement mostly share."""
    if row[_TLP] in _ONE_BY_ONE or row[_AUDIENCE] or row[_GRANULAR]:
        return (row[_PK],)
    return (*row[_INPUTS], bool(row[_EXPIRED]))


def _instances(rows: list[tuple[Any, ...]], db: str, context: PrincipalContext) -> list[StixObject]:
    """The rows ``decide`` reads, as model instances holding the decision's inputs (the other
    fields load on access, as with ``only()``), built from tuples rather than through
    ``Model.__init__``; one instance per originator agreement (the policy caches what it consults
    on it), and named recipients and addressees only where the reader's TLP grant depends on them."""
    objects = []
    for row in rows:
        obj = StixObject.__new__(StixObject)
        obj._state = ModelState()
        obj._state.adding, obj._state.db = False, db
        obj.__dict__.update(zip(_DECISION_INPUTS, row[_INPUTS], strict=True))
        expires = row[_EXPIRES]
        obj.__dict__.update(
            id=row[_PK],
            revoked=bool(row[_REVOKED]),
            addressees_only=bool(row[_AUDIENCE]),
            expires_at=expires and stored_moment(expires),
        )
        if row[_GRANULAR]:  # decide reads the selectors of its granular markings
            obj.__dict__["body"] = orjson.loads(row[_BODY])
        objects.append(obj)
    agreements = originator_agreements(context, {obj.agreement_id for obj in objects if obj.agreement_id is not None})
    for obj in objects:
        if obj.agreement_id is not None:
            obj._state.fields_cache["agreement"] = agreements[obj.agreement_id]
    grant = tlp_grant(context, ACTION)
    named = [obj for obj in objects if obj.tlp == Tlp.RED] if grant.red_if_named else []
    if named:  # the querysets too are built only when needed: on most pages, nothing is
        prefetch_related_objects(named, Prefetch("recipients", queryset=User.objects.only("pk")))
    amber_addressed = grant.amber_if_addressed and Tlp.AMBER not in grant.labels
    addressed = [obj for obj in objects if (amber_addressed and obj.tlp == Tlp.AMBER) or obj.addressees_only]
    if addressed:
        prefetch_related_objects(addressed, Prefetch("addressed_to", queryset=Organisation.objects.only("pk")))
    return objects


def served_page(found: list[tuple[Any, ...]], *, limit: int, purpose: str, context: PrincipalContext) -> ServedPage:
    """The page of ``found`` (rows of :data:`SERVED_FIELDS`, ``limit + 1`` at most, in order)
    as the reader (``context``) receives it for ``purpose``.

    Rows that share every input of the decision (originator, agreement, TLP, data category,
    revocation, expiry) share one decision; TLP:AMBER and TLP:RED rows, and host products for
    their addressees only, are decided one by one (their addressees and named recipients count
    too). A body from which the decision withholds nothing is sent in the form the store
    recorded for it, without being parsed (:mod:`accord.sharing.sent`), unless that form is
    "read and rewritten"."""
    rows, more = found[:limit], len(found) > limit
    if not rows:
        return ServedPage([], None, None, more)
    keys = [_decision_key(row) for row in rows]
    deciding = dict(zip(keys, rows, strict=True))  # the first row of each key
    decisions: dict[tuple[Any, ...], Decision] = {
        key: decide(context, obj, ACTION, purpose)
        for key, obj in zip(deciding, _instances(list(deciding.values()), StixObject.objects.db, context), strict=True)
    }
    objects: list[bytes] = []
    personal: list[str] = []
    tails: dict[tuple[int, str, str], str] = {}  # what goes before a closing brace, by form, TLP and type
    for row, key in zip(rows, keys, strict=True):
        decision = decisions[key]
        if not decision.allowed:
            continue
        form = row[_FORM]
        if form != SentForm.REWRITTEN and not decision.redactions and not decision.granular:
            tail_key = (form, row[_TLP], row[_TYPE])
            tail = tails.get(tail_key)
            if tail is None:
                tail = tails[tail_key] = sent_tail(*tail_key)
            sent: bytes | None = sent_text(row[_BODY], tail).encode()
        else:
            sent = _rewritten(row[_BODY], row[_TLP], decision.redactions, decision.granular)
        if sent is not None:
            objects.append(sent)
            if row[_CATEGORY] == DataCategory.PERSONAL_DATA and not decision.redactions:
                personal.append(row[_STIX_ID])  # sent whole: its personal data was disclosed
    objects.extend(orjson.dumps(body) for body in definitions_for(objects))
    first, last = rows[0], rows[-1]
    position = (stored_moment(first[_ADDED]), first[_PK]), (stored_moment(last[_ADDED]), last[_PK])
    return ServedPage(objects, *position, more, personal)


def definitions_for(served: list[bytes]) -> list[dict[str, Any]]:
    """The marking definitions the ``served`` objects refer to, to carry on the same page once
    each, as they were sent: statement, IEP and custom ones from the store, and the standard
    TLP 1.0 ones as published. The TLP 2.0 definitions are not repeated on every page: every
    served object refers to one, and they are published with their extension (exports carry
    them). A reference that granular redaction took out of an object does not count. Only an
    object that names more than its TLP 2.0 marking is read again, and the store is asked only
    when one names a definition that is not standard: a plain page costs nothing more."""
    refs: dict[str, None] = {}
    for text in served:
        if text.count(b"marking-definition--") > 1 or b"granular_markings" in text:
            refs.update(dict.fromkeys(marking_refs(orjson.loads(text))))
    return marking_definitions(list(refs), tlp2=False) if refs else []


def _rewritten(text: str, tlp: str, redactions: tuple[str, ...], granular: tuple[str, ...] = ()) -> bytes | None:
    """A stored body as served (:func:`accord.formats.stix.as_sent`): the stored text itself
    when that changes nothing; ``None`` when redaction leaves nothing worth sending."""
    body, changed = as_sent(orjson.loads(text), tlp, redactions, granular)
    if body is None:
        return None
    return orjson.dumps(body) if changed else text.encode()
