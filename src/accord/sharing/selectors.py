"""Reads of the shared-object store, bounded by what the principal may see."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Exists, F, Max, Min, OuterRef, Q, QuerySet, Subquery

from accord.core.audit import audit_record
from accord.core.choices import OrganisationStatus
from accord.core.errors import NotFound
from accord.core.models import Organisation, User
from accord.core.public_ids import parse
from accord.core.roles import Perm, has_perm
from accord.core.selectors import get_visible
from accord.formats.markings import TLP2_IDS, standard_definition
from accord.partners.models import Agreement
from accord.policy import (
    Decision,
    PrincipalContext,
    decide,
    may_know_exists,
    may_name_source,
    principal_context,
    visible,
    withheld_links,
    withhold,
)
from accord.sharing.models import MarkingDefinition, ObjectObservable, Observable, Refusal, StixObject, Submission
from accord.sharing.words import body_references, body_seen, body_tags, stix_type_label

__all__ = [
    "ObjectRow",
    "addressee_choices",
    "addressee_get",
    "marking_definitions",
    "object_explain",
    "object_get",
    "object_list",
    "nameable_organisations",
    "object_page",
    "objects_by_id",
    "object_rows",
    "observable_list",
    "redacted",
    "refusal_list",
    "submission_get",
    "submission_list",
    "submission_objects",
]


def submission_list(*, principal: User) -> QuerySet[Submission]:
    """Host staff see every submission; a partner sees its own organisation's."""
    qs = Submission.objects.select_related("organisation", "agreement", "submitted_by")
    if has_perm(principal, Perm.ORGANISATION_VIEW_ALL):
        return qs
    return qs.filter(organisation_id=principal.organisation_id)


def submission_get(*, principal: User, pk: Any) -> Submission:
    return get_visible(submission_list(principal=principal), pk, "submission")


def refusal_list(*, principal: User, pk: Any) -> QuerySet[Refusal]:
    """What submission ``pk`` refused, in the order the ingest met it; a submission the
    principal may not see is the same 404 as a missing one. (What it stored is
    :func:`submission_objects`.)"""
    return Refusal.objects.filter(submission=submission_get(principal=principal, pk=pk)).order_by("number")


def submission_objects(*, principal: User, pk: Any) -> QuerySet[StixObject]:
    """What submission ``pk`` stored (new objects and new versions) as far as the principal may
    view it, in the order it was stored; a submission the principal may not see is a 404."""
    submission = submission_get(principal=principal, pk=pk)
    return object_list(principal=principal).filter(submission=submission).order_by("pk")


def _listed() -> QuerySet[StixObject]:
    return StixObject.objects.select_related("organisation", "agreement__current_version__agreement").prefetch_related(
        "recipients", "addressed_to"
    )


def object_list(*, principal: User, purpose: str = "investigation") -> QuerySet[StixObject]:
    """Every object version the policy lets the principal view for ``purpose``."""
    return visible(principal_context(principal), _listed(), "view", purpose)


def object_get(*, principal: User, key: str, purpose: str = "investigation") -> list[StixObject]:
    """The visible versions of one object (by STIX id or the public id of a version), newest
    first; one 404, naming the key as given, whether it is missing or hidden, a number or not."""
    qs = object_list(principal=principal, purpose=purpose)
    stix_id = key
    if key.isascii() and key.isdigit():  # "²" is a digit to str.isdigit, not a number
        found = qs.filter(pk=parse(key)).values_list("stix_id", flat=True).first()
        stix_id = found or ""
    versions = list(qs.filter(stix_id=stix_id).order_by("-modified")) if stix_id else []
    if not versions:
        raise NotFound(f"No shared object {key} (or you may not see it).")
    return versions


def observable_list(*, principal: User, purpose: str = "investigation") -> QuerySet[Observable]:
    """Observables mentioned by at least one object the principal may view, except those the
    originators' agreements withhold from the principal (redacted data categories).

    Each carries when it was first and last reported as the principal may know it
    (``seen_first``, ``seen_last``) and the key lists order it by, newest first
    (``seen_order``): for host staff the stored dates, moved by every ingest that mentions it,
    and ``last_seen``; for anyone else the earliest and latest arrival of the objects it may
    view that mention it, and the latest of those objects in the order the store received them
    (its row id), so an object it may not see never dates nor orders it.

    A partner's rows are its links to observables, each the latest it may see of its
    observable: walked backwards on the links' index (object, observable), each checked through
    the policy, so a page in that order stops at its rows instead of dating every observable
    the reader may see to sort them (``docs/decisions.md``, "Campaign and observable pages by
    index")."""
    ctx = principal_context(principal)
    objects = visible(ctx, _listed(), "view", purpose)
    withheld = withheld_links(ctx)
    # Per observable by index (EXISTS on its links, each object checked by key), so that a page in
    # the order of an index stops at its rows: an ``IN`` list of every observable the asker may
    # see would be built, two million of them, before the first row of any page.
    links = ObjectObservable.objects.filter(Exists(objects.filter(pk=OuterRef("stix_object_id")))).exclude(withheld)
    if ctx.is_host:
        rows = Observable.objects.filter(Exists(links.filter(observable_id=OuterRef("pk"))))
        return rows.annotate(seen_first=F("first_seen"), seen_last=F("last_seen"), seen_order=F("last_seen"))
    # One row per observable: the link (``mention``) of the latest object mentioning it that the
    # reader may view, and no later one; the join walks the links' index in ``seen_order``.
    # The joined link itself is checked by its keys (its object by id, its withholding by id),
    # not looked for again by (object, observable): PostgreSQL, unable to tell that such a
    # search finds the row it started from, joined and sorted every link the reader may see
    # before the first row of a page (30 s at a million objects, where this walks 51 rows).
    rows = (
        Observable.objects.filter(links__stix_object_id__gt=0)
        .annotate(seen_order=F("links__stix_object_id"), mention=F("links__pk"))
        .filter(Exists(objects.filter(pk=OuterRef("seen_order"))))
        .exclude(Exists(ObjectObservable.objects.filter(withheld, pk=OuterRef("mention"))))
        .exclude(Exists(links.filter(observable_id=OuterRef("pk"), stix_object_id__gt=OuterRef("seen_order"))))
    )
    # Per row shown, its few links, each object checked by key (``EXISTS``): an ``IN`` list of
    # every object seen would have SQLite probe the link index once per object for each row.
    mentions = links.filter(observable_id=OuterRef("pk")).order_by().values("observable_id")
    return rows.annotate(
        seen_first=Subquery(mentions.annotate(at=Min("stix_object__added_at")).values("at")),
        seen_last=Subquery(mentions.annotate(at=Max("stix_object__added_at")).values("at")),
    )


def redacted(obj: StixObject, ctx: PrincipalContext, purpose: str) -> dict[str, Any]:
    """The object's STIX body as the asker may receive it: redacted fields (free text
    included) removed, not blanked."""
    decision = decide(ctx, obj, "view", purpose)
    return withhold(obj.body, decision.redactions, decision.granular)


def object_explain(*, principal: User, object: str, purpose: str, action: str) -> dict[str, Any]:  # noqa: A002
    """The policy's decision on one object for the asker, in words, with the agreements it read
    (``GET /api/v1/policy/explain/``). An object the asker may not know exists
    (:func:`accord.policy.may_know_exists`) is the same 404 as a missing one.

    The request itself goes into the audit chain (who asked about what, and the answer).
    """
    qs = StixObject.objects.select_related("agreement__current_version", "organisation")
    numeric = object.isascii() and object.isdigit()  # "²" is a digit to str.isdigit, not a number
    obj = (qs.filter(pk=parse(object)) if numeric else qs.filter(stix_id=object)).order_by("-modified").first()
    ctx = principal_context(principal)
    if obj is None or not may_know_exists(ctx, obj):
        raise NotFound(f"No shared object {object} (or you may not know of it).")
    decision = decide(ctx, obj, action, purpose)
    answer = decision.as_dict()
    if not ctx.is_host:  # a partner reads about its own agreements, never the originator's
        answer["agreements"] = [a for a in answer["agreements"] if a["party"] == "recipient"]
    audit_record(
        actor=principal,
        action="policy.explain",
        obj=obj,
        details={"action": action, "purpose": purpose, "allowed": decision.allowed, "rule": decision.rule},
    )
    return {"object": obj.stix_id, "action": action, "purpose": purpose, **answer}


_TLP2_REFS = frozenset(TLP2_IDS.values())


def marking_definitions(refs: list[str], *, tlp2: bool = True) -> list[dict[str, Any]]:
    """The marking definitions ``refs`` name, to carry with objects that refer to them, in the
    order of ``refs``: the standard TLP ones as published (TLP 2.0 only when ``tlp2``), the
    others as they were sent; a reference to a definition never sent has none. Whoever received
    an object that refers to a definition may read it: it says how to handle that object."""
    found: dict[str, dict[str, Any]] = {}
    wanted = []
    for ref in dict.fromkeys(refs):
        standard = standard_definition(ref)
        if standard is None:
            wanted.append(ref)
        elif tlp2 or ref not in _TLP2_REFS:
            found[ref] = standard
    if wanted:  # the standard ones are asked for most: no query for them
        found.update(MarkingDefinition.objects.filter(stix_id__in=wanted).values_list("stix_id", "body"))
    return [found[ref] for ref in dict.fromkeys(refs) if ref in found]


# -- shared objects as a reader reads them (the pages) ---------------------------------------------

OBSERVABLES_SHOWN = 20  # per object on a list row; the object page shows them all
REFERENCES_SHOWN = 100  # other objects an object page resolves (a report may name thousands)


@dataclass
class ObjectRow:
    """One object version as a reader reads it first: its body as received, the policy's
    decision, a label (its name or value), its source where the reader may be told it, its tags,
    when it was seen, the observables it mentions that the reader may learn, and how many of them
    another object the reader may see mentions too (``correlated``)."""

    obj: StixObject
    body: dict[str, Any]
    decision: Decision
    label: str
    source: str | None
    tags: list[str]
    seen_first: datetime | None
    seen_last: datetime | None
    observables: list[tuple[int, str, str]] = field(default_factory=list)
    observables_count: int = 0
    correlated: int = 0

    @property
    def type_label(self) -> str:
        """The object's type in words."""
        return stix_type_label(self.obj.type)


def _object_label(obj: StixObject, body: dict[str, Any], observables: list[tuple[int, str, str]]) -> str:
    """The name or value a reader looks for first; the type in words where the body says none
    the reader may receive."""
    for key in ("name", "value"):
        if isinstance(body.get(key), str | int) and body[key] != "":
            return str(body[key])
    if observables:
        return observables[0][2]
    if body.get("relationship_type"):
        return f"{stix_type_label(obj.type)}: {body['relationship_type']}"
    if isinstance(body.get("pattern"), str):
        return str(body["pattern"])
    if isinstance(body.get("hashes"), dict) and body["hashes"]:
        return str(next(iter(body["hashes"].values())))
    return stix_type_label(obj.type)


def object_rows(
    *,
    principal: User,
    objects: Sequence[StixObject] | QuerySet[StixObject],
    purpose: str = "investigation",
    context: PrincipalContext | None = None,
) -> list[ObjectRow]:
    """``objects`` (versions the principal may view, a page of them; a queryset is read with the
    joins the policy's decision reads) as :class:`ObjectRow`, in two queries whatever their
    number: the observables they mention that the principal may learn (not ``withheld_links``),
    each with whether another object the principal may view mentions it. Labels, tags and dates
    come from the body as the principal receives it (redactions and granular markings applied),
    the source only where the policy lets it be named."""
    ctx = context or principal_context(principal)
    if isinstance(objects, QuerySet):  # the joins the policy's decision reads, in one query
        objects = list(
            objects.select_related("organisation", "agreement__current_version__agreement").prefetch_related(
                "recipients", "addressed_to"
            )
        )
    objects = list(objects)
    withheld = withheld_links(ctx)
    viewable = visible(ctx, StixObject.objects.all(), "view", purpose)
    elsewhere = (
        ObjectObservable.objects.filter(observable_id=OuterRef("observable_id"))
        .exclude(stix_object__stix_id=OuterRef("stix_object__stix_id"))
        .exclude(withheld)
        .filter(Exists(viewable.filter(pk=OuterRef("stix_object_id"))))
    )
    mentioned: dict[int, list[tuple[int, str, str]]] = {}
    counted: dict[int, list[int]] = {}
    if objects:
        links = (
            ObjectObservable.objects.filter(stix_object_id__in=[o.pk for o in objects])
            .exclude(withheld)
            .annotate(elsewhere=Exists(elsewhere))
            .order_by("stix_object_id", "observable_id")
            .values_list("stix_object_id", "observable_id", "observable__type", "observable__value", "elsewhere")
        )
        for obj_pk, observable, kind, value, seen_elsewhere in links:
            mentioned.setdefault(obj_pk, []).append((observable, kind, value))
            tally = counted.setdefault(obj_pk, [0, 0])
            tally[0] += 1
            tally[1] += bool(seen_elsewhere)
    rows = []
    for obj in objects:
        decision = decide(ctx, obj, "view", purpose)
        body = withhold(obj.body, decision.redactions, decision.granular) if isinstance(obj.body, dict) else {}
        observables = mentioned.get(obj.pk, [])
        seen_first, seen_last = body_seen(body)
        total, correlated = counted.get(obj.pk, [0, 0])
        rows.append(
            ObjectRow(
                obj=obj,
                body=body,
                decision=decision,
                label=_object_label(obj, body, observables),
                source=obj.organisation.name if decision.may_name_source else None,
                tags=body_tags(body, obj.crime_type),
                seen_first=seen_first or obj.created,
                seen_last=seen_last or obj.modified,
                observables=observables if len(observables) <= OBSERVABLES_SHOWN else observables[:OBSERVABLES_SHOWN],
                observables_count=total,
                correlated=correlated,
            )
        )
    return rows


def object_page(*, principal: User, key: str, purpose: str = "investigation") -> dict[str, Any]:
    """One object as its page shows it, read through the policy: its visible versions as
    :class:`ObjectRow` (newest first; the newest with every observable it mentions), the other
    objects its newest version names, each resolved where the principal may view it (the first
    :data:`REFERENCES_SHOWN`), the marking definitions it refers to, and whether the principal
    may be told its agreement and submission (the host, and its originator). A missing or hidden
    object is the same 404 (:func:`object_get`)."""
    ctx = principal_context(principal)
    versions = object_get(principal=principal, key=key, purpose=purpose)
    rows = object_rows(principal=principal, objects=versions, purpose=purpose, context=ctx)
    latest = rows[0]
    withheld = withheld_links(ctx)
    latest.observables = list(
        ObjectObservable.objects.filter(stix_object_id=latest.obj.pk)
        .exclude(withheld)
        .order_by("observable__type", "observable__value")
        .values_list("observable_id", "observable__type", "observable__value")
    )
    references = body_references(latest.body)
    wanted = list(dict.fromkeys(ref.stix_id for ref in references))[:REFERENCES_SHOWN]
    related = objects_by_id(principal=principal, stix_ids=wanted, purpose=purpose, context=ctx)
    marking_refs = [
        ref
        for ref in latest.body.get("object_marking_refs", [])
        if isinstance(ref, str) and ref not in _TLP2_REFS and standard_definition(ref) is None
    ]
    own = ctx.organisation_id is not None and latest.obj.organisation_id == ctx.organisation_id
    tlp_of = {ref: label for label, ref in TLP2_IDS.items()}
    field_markings = [
        (", ".join(map(str, m.get("selectors", []))), tlp_of.get(str(m.get("marking_ref")), m.get("marking_ref", "")))
        for m in latest.body.get("granular_markings", [])
        if isinstance(m, dict)
    ]
    return {
        "rows": rows,
        "latest": latest,
        "references": [(ref, related.get(ref.stix_id)) for ref in references if ref.stix_id in wanted],
        "more_references": max(len(dict.fromkeys(r.stix_id for r in references)) - len(wanted), 0),
        "markings": marking_definitions(marking_refs),
        "field_markings": field_markings,
        "provenance_shown": ctx.is_host or own,
        "submission_shown": latest.obj.submission_id is not None
        and (has_perm(principal, Perm.ORGANISATION_VIEW_ALL) or own),
    }


def objects_by_id(
    *,
    principal: User,
    stix_ids: Sequence[str],
    purpose: str = "investigation",
    context: PrincipalContext | None = None,
) -> dict[str, ObjectRow]:
    """The newest version the principal may view of each of ``stix_ids``, as :class:`ObjectRow`
    by STIX id (in a bounded number of queries); an id it may not view is not a key."""
    if not stix_ids:
        return {}
    ctx = context or principal_context(principal)
    newest: dict[str, StixObject] = {}
    versions = object_list(principal=principal, purpose=purpose).filter(stix_id__in=list(stix_ids))
    for obj in versions.order_by("stix_id", "-modified"):
        newest.setdefault(obj.stix_id, obj)
    rows = object_rows(principal=principal, objects=list(newest.values()), purpose=purpose, context=ctx)
    return {row.obj.stix_id: row for row in rows}


def nameable_organisations(*, principal: User) -> QuerySet[Organisation]:
    """The organisations a reader may see named as a source (the shared-data list's
    organisation filter offers these): every one for the host; else its own, the host and those
    with an agreement whose terms let their objects be attributed to the reader."""
    ctx = principal_context(principal)
    everyone = Organisation.objects.order_by("name")
    if ctx.is_host:
        return everyone
    allowed = [
        a.organisation_id
        for a in Agreement.objects.filter(current_version__isnull=False).select_related("current_version")
        if may_name_source(ctx, a.organisation_id, a.current_version)
    ]
    return everyone.filter(Q(pk__in=allowed) | Q(pk=ctx.organisation_id or 0) | Q(is_host=True))


def addressee_choices(*, principal: User) -> QuerySet[Organisation]:
    """The organisations this person may address an object to, by name: partners in the
    programme (not the host nor their own, which receive it anyway). Programme staff know them
    all; a partner knows those of the public directory."""
    qs = Organisation.objects.filter(is_host=False).exclude(pk=principal.organisation_id)
    qs = qs.exclude(status__in=[OrganisationStatus.APPLICANT, OrganisationStatus.TERMINATED])
    if not has_perm(principal, Perm.ORGANISATION_VIEW_ALL):
        qs = qs.filter(status=OrganisationStatus.ACTIVE, listed_publicly=True)
    return qs.order_by("name")


def addressee_get(*, principal: User, pk: Any) -> Organisation:
    """One of :func:`addressee_choices`, by id (the same 404 for one missing or not offered)."""
    return get_visible(addressee_choices(principal=principal), pk, "organisation")
