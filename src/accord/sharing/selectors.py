"""Reads of the shared-object store, bounded by what the principal may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, F, Max, Min, OuterRef, QuerySet, Subquery

from accord.core.audit import audit_record
from accord.core.choices import OrganisationStatus
from accord.core.errors import NotFound
from accord.core.models import Organisation, User
from accord.core.public_ids import parse
from accord.core.roles import Perm, has_perm
from accord.core.selectors import get_visible
from accord.formats.markings import TLP2_IDS, standard_definition
from accord.policy import (
    PrincipalContext,
    decide,
    may_know_exists,
    principal_context,
    visible,
    withheld_links,
    withhold,
)
from accord.sharing.models import MarkingDefinition, ObjectObservable, Observable, Refusal, StixObject, Submission

__all__ = [
    "addressee_choices",
    "addressee_get",
    "marking_definitions",
    "object_explain",
    "object_get",
    "object_list",
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
    (``seen_first``, ``seen_last``): for host staff the stored dates, moved by every ingest that
    mentions it; for anyone else the earliest and latest arrival of the objects it may view that
    mention it, so an object it may not see never dates it."""
    ctx = principal_context(principal)
    objects = visible(ctx, _listed(), "view", purpose)
    withheld = withheld_links(ctx)
    links = ObjectObservable.objects.filter(stix_object__in=objects.values("pk")).exclude(withheld)
    rows = Observable.objects.filter(pk__in=links.values("observable_id"))
    if ctx.is_host:
        return rows.annotate(seen_first=F("first_seen"), seen_last=F("last_seen"))
    # Per observable, its few links, each object checked by key (``EXISTS``): an ``IN`` list of
    # every object seen would have SQLite probe the link index once per object for each row.
    mentions = (
        ObjectObservable.objects.filter(observable_id=OuterRef("pk"))
        .filter(Exists(objects.filter(pk=OuterRef("stix_object_id"))))
        .exclude(withheld)
        .order_by()
        .values("observable_id")
    )
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
