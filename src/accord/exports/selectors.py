"""Reads for exports: what a principal may export, through the policy's ``export`` action, in
batches so that memory stays flat however many objects match.

The objects are filtered in SQL (``accord.policy.visible`` with the ``export`` action, which
never lets TLP:RED out, and the objects-list filters) and read in keyset batches of ``BATCH`` by primary key;
each object is also decided on its own (``accord.policy.decide``), which gives its redactions.
Distinct observables are read with one ordered query streamed by ``.iterator()``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from django.db.models import Prefetch, QuerySet

from accord.core.choices import DataCategory, Tlp
from accord.core.errors import ValidationFailed
from accord.core.models import Organisation, User
from accord.exports.benign import known_benign
from accord.formats.markings import carried_refs
from accord.formats.stix import sendable
from accord.formats.writers import (
    ALL_OBSERVABLE_TYPES,
    ExportLink,
    ExportMeta,
    ExportObject,
    ExportObservable,
    Handling,
    Suppressed,
)
from accord.partners.models import Agreement, AgreementVersion
from accord.policy import (
    WITHHELD_OBSERVABLES,
    Action,
    Decision,
    PrincipalContext,
    decide,
    redactions_for,
    tlp_grant,
    visible,
)
from accord.sharing.filters import StixObjectFilter
from accord.sharing.models import ObjectObservable, StixObject
from accord.sharing.selectors import marking_definitions

__all__ = ["BATCH", "PolicyExportSource", "export_queryset"]

BATCH = 2000
_PERSONAL_TYPES = frozenset(WITHHELD_OBSERVABLES[DataCategory.PERSONAL_DATA])

_IEP_FIELDS = (
    ("encrypt_in_transit", "encrypt_in_transit"),
    ("permitted_actions", "permitted_actions"),
    ("affected_party_notifications", "affected_party_notifications"),
    ("tlp", "iep_tlp"),
    ("provider_attribution", "provider_attribution"),
    ("unmodified_resale", "unmodified_resale"),
)
_LOCAL_FIELDS = ("encrypt_at_rest", "obfuscate_affected_parties", "purposes", "retention_days", "pap")


def export_queryset(
    *, principal: User, purpose: str, filters: Mapping[str, Any], context: PrincipalContext
) -> QuerySet[StixObject]:
    """Every object version ``principal`` may export for ``purpose`` that matches the objects-list
    ``filters`` (:class:`~accord.sharing.filters.StixObjectFilter`, which match only what the
    principal may receive). TLP:RED never leaves, not even to its originator: the policy's
    ``export`` action refuses it to everyone (:func:`accord.policy.kept_on_platform`)."""
    allowed = visible(context, StixObject.objects.all(), Action.EXPORT, purpose)
    filterset = StixObjectFilter(filters, queryset=allowed, principal=principal, context=context)
    if not filterset.is_valid():
        errors = {name: [str(m) for m in messages] for name, messages in filterset.errors.items()}
        name, messages = next(iter(errors.items()))
        raise ValidationFailed(f"{name}: {' '.join(messages)}", details=errors)
    queryset: QuerySet[StixObject] = filterset.qs
    return queryset.order_by()


def _iso(moment: Any) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z" if moment is not None else None


def _observable(current: tuple[int, str, str], tlp: str, crimes: set[str]) -> ExportObservable:
    observable_id, kind, value = current
    return ExportObservable(id=observable_id, type=kind, value=value, tlp=tlp, crime_types=tuple(sorted(crimes)))


class PolicyExportSource:
    """The :class:`~accord.formats.writers.ExportSource` over the store, bounded by the policy."""

    def __init__(
        self,
        *,
        purpose: str,
        queryset: QuerySet[StixObject],
        context: PrincipalContext,
        meta: ExportMeta,
        observable_types: Collection[str] | None = None,
        batch: int = BATCH,
    ) -> None:
        self.purpose = purpose
        self.queryset = queryset
        self.context = context
        self.meta = meta
        self.observable_types = frozenset(observable_types or ALL_OBSERVABLE_TYPES)
        self.batch = batch
        self._agreements: dict[int, Agreement] = {}
        self._organisations: dict[int, Organisation] = {}
        self._handling: dict[int, Handling | None] = {}
        self._suppressed: dict[frozenset[str], list[Suppressed]] = {}
        self._granular: dict[int, bool] = {}
        self.skipped_benign = 0
        self.objects_written = 0
        self.observables_written = 0
        # What left with its personal data whole, for the consultation log.
        self.personal_objects: set[str] = set()
        self.personal_observables: set[int] = set()

    # -- objects ----------------------------------------------------------------------------------

    def _object_batches(
        self,
        *,
        with_body: bool,
        mentioning: Collection[str] | None = None,
        carrying: Collection[str] = (),
        lacking: Collection[str] = (),
    ) -> Iterator[list[tuple[StixObject, Decision]]]:
        # decide() asks only whether the recipient's organisation is among those an AMBER object
        # is addressed to: prefetching just that organisation answers it exactly, and cheaply.
        # Only partners outside law enforcement are asked that (tlp_grant): nobody else pays for it.
        qs = self.queryset
        if tlp_grant(self.context, Action.EXPORT).amber_if_addressed:
            addressed = Prefetch(
                "addressed_to", queryset=Organisation.objects.filter(pk=self.context.organisation_id or 0).only("pk")
            )
            qs = qs.prefetch_related(addressed)
        if not with_body:
            qs = qs.defer("body")
        if carrying:  # only objects whose body has one of these properties
            qs = qs.filter(body__has_any_keys=sorted(carrying))
        for name in lacking:  # only objects whose body has none of these
            qs = qs.exclude(body__has_key=name)
        if mentioning is not None:  # only objects that mention an observable of these types
            linked = ObjectObservable.objects.filter(observable__type__in=sorted(mentioning))
            qs = qs.filter(pk__in=linked.values("stix_object_id"))
        last = 0
        while True:
            rows = list(qs.filter(pk__gt=last).order_by("pk")[: self.batch])
            if not rows:
                return
            last = rows[-1].pk
            for obj in rows:  # a handful of agreements and organisations, loaded once each
                obj.organisation = self._organisation_of(obj.organisation_id)
                if obj.agreement_id is not None:
                    obj.agreement = self._agreement_of(obj.agreement_id)
            decided = [(obj, decide(self.context, obj, Action.EXPORT, self.purpose)) for obj in rows]
            # The SQL form and decide() agree (tests/policy/test_matrix.py); this is the second lock.
            yield [(obj, decision) for obj, decision in decided if decision.allowed]

    def objects(self, *, carrying: Collection[str] = ()) -> Iterator[ExportObject]:
        """Each object version (only those whose stored body has one of the properties
        ``carrying`` names, when given), redacted fields removed; objects that redaction leaves
        nothing worth sending of are left out (see :func:`accord.formats.stix.sendable`)."""
        for batch in self._object_batches(with_body=True, carrying=carrying):
            sent = [
                (obj, decision, sendable(dict(obj.body), decision.redactions, decision.granular))
                for obj, decision in batch
            ]
            refs = [ref for _, _, body in sent if body is not None for ref in carried_refs(body)]
            known = {definition["id"]: definition for definition in marking_definitions(refs)} if refs else {}
            for obj, decision, body in sent:
                if body is None:
                    continue
                self.objects_written += 1
                if obj.data_category == DataCategory.PERSONAL_DATA:
                    self.personal_objects.add(obj.stix_id)  # no redactions: sent whole
                yield ExportObject(
                    body=body,
                    tlp=obj.tlp,
                    handling=self.handling(obj, decision),
                    conditions=self._conditions(obj, decision),
                    attribution=decision.may_name_source,
                    definitions=tuple(known[ref] for ref in carried_refs(body) if ref in known),
                )

    def links(self, types: Collection[str], *, lacking: Collection[str] = ()) -> Iterator[ExportLink]:
        """Each observable of each exported object (objects with redactions contribute none;
        nor, when given, objects whose stored body has one of the properties ``lacking`` names)."""
        wanted = self.observable_types & set(types)
        if not wanted:
            return
        mentioning = wanted if wanted != ALL_OBSERVABLE_TYPES else None
        for batch in self._object_batches(with_body=False, mentioning=mentioning, lacking=lacking):
            # Nor objects with fields granular markings withhold: a value may be among them.
            keep = {obj.pk: obj for obj, decision in batch if not decision.redactions and not decision.granular}
            if not keep:
                continue
            # By object first (the link table's unique index); the type is checked here, since a
            # type condition in SQL lets SQLite start from the observables and probe every id.
            rows = (
                ObjectObservable.objects.filter(stix_object_id__in=list(keep))
                .order_by("stix_object_id", "observable_id")
                .values_list("stix_object_id", "observable__type", "observable__value")
            )
            previous = None
            for object_id, kind, value in rows:
                if kind not in wanted:
                    continue
                obj = keep[object_id]
                if object_id != previous:
                    self.objects_written += 1
                    previous = object_id
                if obj.data_category == DataCategory.PERSONAL_DATA:
                    self.personal_objects.add(obj.stix_id)
                self.observables_written += 1
                yield ExportLink(
                    stix_id=obj.stix_id,
                    stix_type=obj.type,
                    modified=obj.modified,
                    tlp=obj.tlp,
                    data_category=obj.data_category,
                    crime_type=obj.crime_type,
                    purpose=obj.purpose,
                    added_at=obj.added_at,
                    expires_at=obj.expires_at,
                    observable_type=kind,
                    value=value,
                )

    # -- distinct observables ---------------------------------------------------------------------

    def observables(self, types: Collection[str], *, detection: bool) -> Iterator[ExportObservable]:
        """Each distinct observable mentioned by an exported object that is not redacted for the
        recipient, with the most restrictive TLP among those objects. ``detection`` leaves out
        what :func:`accord.exports.benign.known_benign` says is benign (:meth:`suppressed`)."""
        left_out = {found.id for found in self.suppressed(types)} if detection else set()
        for found in self._distinct(types):
            if found.id in left_out:
                continue
            self.observables_written += 1
            if found.type in _PERSONAL_TYPES:
                self.personal_observables.add(found.id)
            yield found

    def suppressed(self, types: Collection[str]) -> list[Suppressed]:
        """The values a detection export of ``types`` leaves out as known-benign, each with the
        reason (a warning list's name): only values the recipient would otherwise receive.
        Found by a first pass over the observables, so that a file's header can say how many
        (and, asked to, which) before its first rule; memory holds only these."""
        key = frozenset(types)
        if key not in self._suppressed:
            found = []
            for observable in self._distinct(types):
                reason = known_benign(observable.type, observable.value)
                if reason:
                    found.append(Suppressed(observable.id, observable.type, observable.value, reason))
            self._suppressed[key] = found
            self.skipped_benign = len(found)
        return self._suppressed[key]

    def _distinct(self, types: Collection[str]) -> Iterator[ExportObservable]:
        wanted = self.observable_types & set(types)
        if not wanted:
            return
        # No type condition in SQL: with one, SQLite starts from the observables of that type
        # and probes every allowed object id for each (quadratic); without, it walks the allowed
        # objects' links once. The type is checked below.
        rows = (
            ObjectObservable.objects.filter(stix_object_id__in=self.queryset.values("pk"))
            .order_by("observable_id")
            .values_list(
                "observable_id",
                "observable__type",
                "observable__value",
                "stix_object__tlp",
                "stix_object__data_category",
                "stix_object__agreement_id",
                "stix_object__organisation_id",
                "stix_object__crime_type",
                "stix_object_id",
                "stix_object__granular_tlps",
            )
        )
        current: tuple[int, str, str] | None = None
        tlp: str | None = None
        crimes: set[str] = set()
        for (
            observable_id,
            kind,
            value,
            obj_tlp,
            category,
            agreement_id,
            organisation_id,
            crime,
            object_id,
            granular,
        ) in rows.iterator(chunk_size=self.batch):
            if kind not in wanted:
                continue
            if current is None or observable_id != current[0]:
                if current is not None and tlp is not None:
                    yield _observable(current, tlp, crimes)
                current, tlp, crimes = (observable_id, kind, value), None, set()
            if self._withheld(organisation_id, agreement_id, category) or (granular and self._marked_out(object_id)):
                continue
            tlp = obj_tlp if tlp is None else max(tlp, obj_tlp, key=Tlp.rank)
            if crime:
                crimes.add(crime)
        if current is not None and tlp is not None:
            yield _observable(current, tlp, crimes)

    def _withheld(self, organisation_id: int, agreement_id: int | None, category: str) -> bool:
        """Whether the originator's agreement redacts this category for the recipient: the
        predicate ``decide`` uses (:func:`accord.policy.redactions_for`)."""
        if self.context.organisation_id is not None and organisation_id == self.context.organisation_id:
            return False  # rule 0: the originator's own objects
        return bool(redactions_for(self._terms_of(agreement_id), self.context, category))

    def _marked_out(self, object_id: int) -> bool:
        """Whether granular markings withhold some of this object's fields from the recipient
        (then none of its values count: one may be among them), as ``decide`` says."""
        if object_id not in self._granular:
            obj = StixObject.objects.select_related("agreement__current_version").get(pk=object_id)
            decision = decide(self.context, obj, Action.EXPORT, self.purpose)
            self._granular[object_id] = bool(decision.granular)
        return self._granular[object_id]

    def _terms_of(self, agreement_id: int | None) -> AgreementVersion | None:
        return self._agreement_of(agreement_id).current_version if agreement_id is not None else None

    def _agreement_of(self, agreement_id: int) -> Agreement:
        if agreement_id not in self._agreements:
            self._agreements[agreement_id] = Agreement.objects.select_related("current_version").get(pk=agreement_id)
        return self._agreements[agreement_id]

    def _organisation_of(self, organisation_id: int) -> Organisation:
        if organisation_id not in self._organisations:
            self._organisations[organisation_id] = Organisation.objects.get(pk=organisation_id)
        return self._organisations[organisation_id]

    # -- handling conditions ------------------------------------------------------------------------

    def handling(self, obj: StixObject, decision: Decision) -> Handling | None:
        """The source's handling conditions: its agreement's terms in force (none for the host's
        own), naming the source where ``decision`` (on ``obj``) lets the recipient learn it."""
        if obj.agreement_id is None or obj.agreement is None:
            return None
        if obj.agreement_id not in self._handling:
            terms = obj.agreement.current_version
            if terms is None:
                self._handling[obj.agreement_id] = None
            else:
                iep = {name: str(getattr(terms, column)) for name, column in _IEP_FIELDS if getattr(terms, column)}
                iep["start_date"] = _iso(terms.valid_from) or ""
                if terms.valid_until is not None:
                    iep["end_date"] = _iso(terms.valid_until) or ""
                local = {name: getattr(terms, name) for name in _LOCAL_FIELDS if getattr(terms, name) not in ("", None)}
                self._handling[obj.agreement_id] = Handling(
                    key=f"{obj.agreement_id}.{terms.number}",
                    reference=obj.agreement.reference,
                    version=terms.number,
                    source=obj.organisation.name if decision.may_name_source else None,
                    iep=iep,
                    local=local,
                )
        return self._handling[obj.agreement_id]

    @staticmethod
    def _conditions(obj: StixObject, decision: Decision) -> dict[str, Any]:
        """The object's own handling: purpose, category, retention, grading; for personal data
        the subject's category and fact or assessment, unless redacted."""
        conditions: dict[str, Any] = {
            "purpose": obj.purpose,
            "data_category": obj.data_category,
            "source_reliability": obj.reliability,
        }
        if obj.expires_at is not None:
            conditions["retain_until"] = _iso(obj.expires_at)
        if obj.credibility is not None:
            conditions["information_credibility"] = obj.credibility
        if obj.crime_type:
            conditions["crime_type"] = obj.crime_type
        if "x_accord_data_subject" not in decision.redactions:
            if obj.subject_category:
                conditions["data_subject"] = obj.subject_category
            if obj.nature:
                conditions["nature"] = obj.nature
        return conditions
