"""``decide`` (one object, with its reason) and ``visible`` (a queryset, in SQL): one set of rules.

Rules, in order (the design's "policy decision"):

0. the originator always sees its own objects (on the platform: TLP:RED leaves it by no
   ``export``, not even to its originator, see :func:`accord.policy.rules.kept_on_platform`);
1. the recipient's organisation is active and holds an active data-sharing agreement whose
   window covers now (staff of the hosting organisation are exempt; TLP:CLEAR needs nothing);
2. a product of the host addressed to named organisations (a disseminated intelligence report)
   reaches only them, whatever its TLP; then TLP 2.0 from the hub's point of view (see
   :mod:`accord.policy.rules`);
3. the originator's agreement permits the purpose and onward sharing to the recipient's kind and
   region, and the recipient's agreement accepts the TLP and data category (CLEAR is public);
4. revoked or expired objects are invisible to everyone but auditors.

A field marked through ``granular_markings`` (STIX 2.1 §7.2.3) with another TLP than its
object's is decided by the same rules, as if the object were marked with that TLP: the object
may be allowed and the field withheld (``Decision.granular``). ``visible`` needs nothing more:
a granular marking withholds fields, never a whole object.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When

from accord.core.choices import Purpose, Tlp
from accord.core.metrics import POLICY_DENIAL_TALLY
from accord.formats.markings import granular_tlps
from accord.partners.models import Agreement, AgreementVersion
from accord.policy.agreements import agreement_states
from accord.policy.principal import ConsultedAgreement, PrincipalContext, consulted
from accord.policy.rules import (
    WITHHELD_OBSERVABLES,
    held_under,
    kept_on_platform,
    may_name_source,
    originator_facts,
    originator_permits,
    recipient_accepts,
    redactions_for,
    redacts,
    retention_applies,
    tlp_grant,
    tlp_refusal,
)

if TYPE_CHECKING:  # the store sits above the policy: it is handed objects and querysets
    from accord.sharing.models import StixObject

__all__ = [
    "Action",
    "Decision",
    "Rule",
    "decide",
    "gone",
    "nameable_sources",
    "originator_agreements",
    "outside_audience",
    "source_nameable",
    "tlp_reaches",
    "Visibility",
    "visibility",
    "visible",
    "visible_groups",
    "visible_where",
    "withheld_fields",
    "withheld_from",
    "withheld_links",
]


class Action(StrEnum):
    VIEW = "view"
    EXPORT = "export"
    SHARE_ONWARD = "share_onward"
    CORRELATE = "correlate"


class Rule(StrEnum):
    """The rule that decided."""

    ORIGINATOR = "originator"
    RECIPIENT_AGREEMENT = "recipient_agreement"
    AUDIENCE = "audience"
    TLP = "tlp"
    ONWARD_SHARING = "onward_sharing"
    RECIPIENT_TERMS = "recipient_terms"
    RETENTION = "retention"
    GRANTED = "granted"


@dataclass(frozen=True)
class Decision:
    """The outcome for one object: allowed or not, fields withheld, whether its source may be
    named, and why."""

    allowed: bool
    reason: str
    rule: Rule
    redactions: tuple[str, ...] = ()
    agreements: tuple[ConsultedAgreement, ...] = field(default_factory=tuple)
    # Granular-marking selectors (STIX 2.1 §7.2.3.1) whose content the asker may not receive.
    granular: tuple[str, ...] = ()
    # Whether the asker may learn who shared the object (:func:`accord.policy.rules.may_name_source`,
    # the rule :func:`nameable_sources` puts in SQL); never for an object it may not have.
    may_name_source: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "rule": self.rule.value,
            "reason": self.reason,
            "redactions": list(self.redactions),
            "granular": list(self.granular),
            "agreements": [a.as_dict() for a in self.agreements],
        }


_ACTIONS = frozenset(Action)
_TLP_LABEL = dict(Tlp.choices)
# accord_policy_denials_total by rule: a dict increment per denial, added to the counter after
# the request (accord.core.metrics.Tally), so an export refusing 100,000 objects pays nothing.
_count_denial = POLICY_DENIAL_TALLY.add
_PURPOSES = frozenset(Purpose.values)


def _check(action: str, purpose: str) -> None:
    if action not in _ACTIONS:
        raise ValueError(f"Unknown action {action!r}; one of {', '.join(sorted(_ACTIONS))}.")
    if purpose not in _PURPOSES:
        raise ValueError(f"Unknown purpose {purpose!r}; one of {', '.join(sorted(_PURPOSES))}.")


def _originator_consulted(agreement: Agreement) -> tuple[ConsultedAgreement, ...]:
    # Cached on the instance: a list of objects shares a handful of agreements.
    cached: tuple[ConsultedAgreement, ...] | None = getattr(agreement, "_policy_consulted", None)
    if cached is None:
        cached = (consulted(agreement, "originator"),)
        agreement._policy_consulted = cached  # type: ignore[attr-defined]
    return cached


def _originator_terms(obj: StixObject) -> tuple[bool, AgreementVersion | None]:
    """(has an agreement, its terms in force). No agreement: the host's own object."""
    if obj.agreement_id is None:
        return False, None
    return True, obj.agreement.current_version  # type: ignore[union-attr]


def originator_agreements(ctx: PrincipalContext, ids: set[int]) -> dict[int, Agreement]:
    """The agreements ``ids`` with their terms in force, as ``decide`` reads them for objects
    shared under them: as the asker's context read them (:meth:`PrincipalContext.agreements`),
    the same states its SQL was built from. An agreement made since (an object of the asker's
    own, shared under it a moment ago) is read with a context of its own."""
    if not ids:
        return {}
    found = ctx.agreements().among(ids)
    if len(found) < len(ids):
        found |= agreement_states().among(ids - found.keys())
    return found


def _ids(manager: Any) -> set[int]:
    # Uses prefetched rows when the caller prefetched them.
    return {item.pk for item in manager.all()}


def outside_audience(ctx: PrincipalContext, obj: StixObject) -> bool:
    """Whether ``obj`` is a host product sent only to the organisations it is addressed to, and
    the asker's organisation is not one of them (the host's own staff hold it anyway)."""
    return obj.addressees_only and not ctx.is_host and ctx.organisation_id not in _ids(obj.addressed_to)


def tlp_reaches(ctx: PrincipalContext, obj: StixObject, tlp: str, action: str) -> bool:
    """Rule 2's TLP part: whether ``obj``, marked ``tlp``, may reach the asker for ``action``:
    its label passes outright, or AMBER addressed to the asker's organisation, or RED naming
    the asker (TLP 2.0 from the hub's point of view, :func:`accord.policy.rules.tlp_grant`)."""
    grant = tlp_grant(ctx, action)
    return (
        tlp in grant.labels
        or (grant.amber_if_addressed and tlp == Tlp.AMBER and ctx.organisation_id in _ids(obj.addressed_to))
        or (grant.red_if_named and tlp == Tlp.RED and ctx.user_id in _ids(obj.recipients))
    )


def gone(ctx: PrincipalContext, obj: StixObject) -> bool:
    """Rule 4's facts: its originator revoked ``obj``, or its retention period has ended."""
    return obj.revoked or (obj.expires_at is not None and obj.expires_at <= ctx.now)


def decide(
    ctx: PrincipalContext,
    obj: StixObject,
    action: str = Action.VIEW,
    purpose: str = Purpose.INVESTIGATION,
) -> Decision:
    """May the asker (``ctx``, see :func:`accord.policy.principal_context`) perform ``action`` on
    ``obj`` for ``purpose``? With the reason, the fields its originator's agreement withholds,
    those its granular TLP markings withhold, and whether its source may be named."""
    _check(action, purpose)
    decision = _decide(ctx, obj, obj.tlp, action, purpose)
    if not decision.allowed:
        _count_denial(decision.rule)
        return decision
    refused, withheld = _granular_withheld(ctx, obj, action, purpose)
    if not withheld:
        return decision
    reason = decision.reason + (
        f" Fields marked {', '.join(_TLP_LABEL[label] for label in refused)} are withheld from you: "
        + ", ".join(withheld)
        + "."
    )
    return replace(decision, reason=reason, granular=withheld)


def _granular_withheld(
    ctx: PrincipalContext, obj: StixObject, action: str, purpose: str
) -> tuple[list[str], tuple[str, ...]]:
    """The TLP labels of ``obj``'s marked fields the asker may not receive, and the selectors
    they mark: each label decided by the object's rules as if it were the object's TLP."""
    if not obj.granular_tlps:
        return [], ()
    marked = granular_tlps(obj.body)
    refused = sorted(
        label for label in marked if label != obj.tlp and not _decide(ctx, obj, label, action, purpose).allowed
    )
    return refused, tuple(dict.fromkeys(selector for label in refused for selector in marked[label]))


def withheld_fields(
    ctx: PrincipalContext,
    obj: StixObject,
    action: str = Action.VIEW,
    purpose: str = Purpose.INVESTIGATION,
) -> tuple[str, ...]:
    """Every field of an object the asker may see that is withheld from it: what the originator's
    agreement redacts (:func:`withheld_from`) and what its granular markings withhold (selectors),
    for a reader that shows part of an object (a name, a label) without the whole decision."""
    return withheld_from(ctx, obj) + _granular_withheld(ctx, obj, action, purpose)[1]


def _decide(ctx: PrincipalContext, obj: StixObject, tlp: str, action: str, purpose: str) -> Decision:
    """The rules for ``obj`` as if it were marked ``tlp``: its own TLP, or that of a field."""
    if tlp in kept_on_platform(action):  # before rule 0: not even its originator takes it out
        return Decision(False, tlp_refusal(ctx, tlp, action), Rule.TLP, agreements=ctx.consulted)
    if ctx.organisation_id is not None and obj.organisation_id == ctx.organisation_id:
        return Decision(True, "Your organisation shared this object.", Rule.ORIGINATOR, may_name_source=True)
    has_agreement, terms = _originator_terms(obj)
    agreements = ctx.consulted + (_originator_consulted(obj.agreement) if has_agreement else ())  # type: ignore[arg-type]
    public = tlp == Tlp.CLEAR

    def deny(rule: Rule, reason: str) -> Decision:
        return Decision(False, reason, rule, agreements=agreements)

    if not ctx.eligible and not public:
        return deny(Rule.RECIPIENT_AGREEMENT, ctx.ineligible_reason)
    if outside_audience(ctx, obj):
        return deny(
            Rule.AUDIENCE,
            "This intelligence product was sent to named organisations only, and yours is not one of them.",
        )
    if not tlp_reaches(ctx, obj, tlp, action):
        return deny(Rule.TLP, tlp_refusal(ctx, tlp, action))
    if not public:
        if has_agreement and terms is None:
            return deny(Rule.ONWARD_SHARING, "The originator's agreement has no terms in force.")
        ok, reason = originator_permits(terms, ctx, purpose)
        if not ok:
            return deny(Rule.ONWARD_SHARING, reason)
        ok, reason = recipient_accepts(ctx, tlp, obj.data_category, purpose)
        if not ok:
            return deny(Rule.RECIPIENT_TERMS, reason)
    if retention_applies(ctx, action):
        if obj.revoked:
            return deny(Rule.RETENTION, "Its originator revoked this object.")
        if obj.expires_at is not None and obj.expires_at <= ctx.now:
            return deny(Rule.RETENTION, f"This object's retention period ended on {obj.expires_at:%Y-%m-%d}.")
    redactions = withheld_from(ctx, obj)
    reason = "Allowed by the agreements consulted."
    if redactions:
        reason += " The originator's agreement withholds some fields from you: " + ", ".join(redactions) + "."
    named = may_name_source(ctx, obj.organisation_id, terms)
    return Decision(True, reason, Rule.GRANTED, redactions=redactions, agreements=agreements, may_name_source=named)


def withheld_from(ctx: PrincipalContext, obj: StixObject) -> tuple[str, ...]:
    """The fields of ``obj`` withheld from the asker, as :func:`decide` gives them when it allows
    the object: none for its originator; else what the originator's agreement redacts of the
    categories the object may hold (:func:`accord.policy.rules.redactions_for`)."""
    if ctx.organisation_id is not None and obj.organisation_id == ctx.organisation_id:
        return ()
    return redactions_for(_originator_terms(obj)[1], ctx, obj.data_category)


def withheld_links(ctx: PrincipalContext) -> Q:
    """The object–observable links whose observable the principal may not learn, in SQL (a
    ``Q`` over ``ObjectObservable``): for each data category an originator's agreement redacts
    from the principal (:func:`accord.policy.rules.redacts`), the observables of that category's
    types mentioned by its objects that may hold it. Nothing for the host; an originator sees
    its own objects whole."""
    withheld = Q(pk__in=[])
    if ctx.is_host:
        return withheld
    agreements = ctx.agreements().with_terms()
    for category, types in WITHHELD_OBSERVABLES.items():
        redacting = sorted(pk for pk, a in agreements.items() if redacts(a.current_version, ctx, category))
        if redacting:
            withheld |= Q(
                stix_object__agreement_id__in=redacting,
                stix_object__data_category__in=list(held_under(category)),
                observable__type__in=types,
            ) & ~Q(stix_object__organisation_id=ctx.organisation_id or 0)
    # A value may sit in a field a granular marking gives a TLP the principal may not receive
    # (an indicator's pattern marked AMBER): the links of such objects are withheld whole, as
    # exports withhold their values, since the link does not say which field holds the value.
    granular = Q(pk__in=[])
    for label in sorted(set(Tlp) - tlp_grant(ctx, Action.VIEW).labels):
        granular |= _holds_label("stix_object__granular_tlps", label.value)
    withheld |= granular & ~Q(stix_object__organisation_id=ctx.organisation_id or 0)
    return withheld


def _holds_label(column: str, label: str) -> Q:
    """Rows whose comma-separated, sorted TLP labels (``granular_tlps``) hold ``label`` itself
    (``amber`` is not found in ``amber+strict``)."""
    return (
        Q(**{column: label})
        | Q(**{f"{column}__startswith": f"{label},"})
        | Q(**{f"{column}__endswith": f",{label}"})
        | Q(**{f"{column}__contains": f",{label},"})
    )


def nameable_sources(ctx: PrincipalContext) -> Q:
    """The objects whose source the principal may learn, in SQL (a ``Q`` over ``StixObject``):
    the rule :func:`decide` gives as ``Decision.may_name_source``
    (:func:`accord.policy.rules.may_name_source`), so that nothing, a filter by organisation
    included, tells an object's source where it is withheld. Everything for the host; an
    originator knows its own objects."""
    if ctx.is_host:
        return Q()
    unnamed = sorted(
        pk
        for pk, a in ctx.agreements().with_terms().items()
        if not may_name_source(ctx, a.organisation_id, a.current_version)
    )
    named = ~Q(agreement_id__in=unnamed)
    if ctx.organisation_id is not None:
        named |= Q(organisation_id=ctx.organisation_id)
    return named


def source_nameable(ctx: PrincipalContext) -> Case | Value:
    """``Decision.may_name_source`` as a column, for a reader of a queryset of objects it may
    have: ``qs.annotate(source_named=source_nameable(ctx))`` (:func:`nameable_sources`)."""
    named = nameable_sources(ctx)
    if not named:  # every source: the host
        return Value(True, output_field=BooleanField())
    return Case(When(named, then=Value(True)), default=Value(False), output_field=BooleanField())


def permitting_agreement_ids(ctx: PrincipalContext, purpose: str) -> list[int]:
    """Originator agreements whose terms in force permit this recipient and purpose (rule 3).

    Evaluated over the (small) agreements table in Python with the same predicate ``decide``
    uses, on the agreements ``decide`` reads (the context's, :meth:`PrincipalContext.agreements`),
    then pushed into SQL as an id list; kept with those agreements' states for every asker of the
    same facts (:func:`accord.policy.rules.originator_facts`) until an agreement changes.
    """
    states = ctx.agreements()
    agreements = states.with_terms()
    return states.derived(
        ("permitting", purpose, originator_facts(ctx)),
        lambda: sorted(pk for pk, a in agreements.items() if originator_permits(a.current_version, ctx, purpose)[0]),
    )


@dataclass(frozen=True)
class Visibility:
    """Everything :func:`visible` reads to filter shared objects for one asker, action and
    purpose, as plain values: the asker's own facts from its context, the TLP grant, its
    agreement's caps, and the originator agreements whose terms permit it (read from the
    agreements table). The SQL condition is a function of these values and the moment alone
    (:func:`visible_where`), so a compiled form of it may be kept under them as its key."""

    action: str
    purpose: str
    organisation_id: int | None
    user_id: int | None
    is_host: bool
    eligible: bool
    labels: tuple[str, ...]  # the TLP labels that pass outright
    amber_if_addressed: bool
    red_if_named: bool
    permitting: tuple[int, ...]  # originator agreements whose terms permit the asker and purpose
    # The asker's own agreement's caps: None for the host (no caps); else the TLPs and data
    # categories it accepts for the purpose (none when it accepts nothing).
    recipient_caps: tuple[tuple[str, ...], tuple[str, ...]] | None
    retention: bool  # revoked and expired objects are gone for this asker and action
    kept: tuple[str, ...]  # the TLP labels that never leave the platform by this action


def visibility(ctx: PrincipalContext, action: str = Action.VIEW, purpose: str = Purpose.INVESTIGATION) -> Visibility:
    """What :func:`visible` reads for the asker ``ctx``, ``action`` and ``purpose`` (one read of
    the agreements table, whose rows are kept per process: :mod:`accord.policy.agreements`)."""
    _check(action, purpose)
    grant = tlp_grant(ctx, action)
    caps: tuple[tuple[str, ...], tuple[str, ...]] | None
    if ctx.is_host:
        caps = None
    elif ctx.terms is not None and ctx.terms.tlp_ceiling and purpose in ctx.terms.purposes:
        caps = (tuple(Tlp.up_to(ctx.terms.tlp_ceiling)), tuple(ctx.terms.data_categories))
    else:
        caps = ((), ())
    return Visibility(
        action=str(action),
        purpose=str(purpose),
        organisation_id=ctx.organisation_id,
        user_id=ctx.user_id,
        is_host=ctx.is_host,
        eligible=ctx.eligible,
        labels=tuple(sorted(grant.labels)),
        amber_if_addressed=grant.amber_if_addressed,
        red_if_named=grant.red_if_named,
        permitting=tuple(permitting_agreement_ids(ctx, purpose)),
        recipient_caps=caps,
        retention=retention_applies(ctx, action),
        kept=tuple(sorted(kept_on_platform(action))),
    )


def visible_where(seen: Visibility, model: type[StixObject], now: datetime) -> Q:
    """The condition on ``model`` (the store's objects) that :func:`visible` filters by, at
    ``now``: a function of ``seen`` and ``now`` alone, reading nothing else."""
    public = Q(tlp=Tlp.CLEAR)
    tlp_q = Q(tlp__in=list(seen.labels))
    if seen.amber_if_addressed and seen.organisation_id is not None:
        addressed = model.addressed_to.through.objects.filter(organisation_id=seen.organisation_id)
        tlp_q |= Q(tlp=Tlp.AMBER, pk__in=addressed.values("stixobject_id"))
    if seen.red_if_named and seen.user_id is not None:
        named = model.recipients.through.objects.filter(user_id=seen.user_id)
        tlp_q |= Q(tlp=Tlp.RED, pk__in=named.values("stixobject_id"))

    originator_q = Q(agreement__isnull=True) | Q(agreement_id__in=list(seen.permitting))
    rule3 = public | (originator_q & _recipient_q(seen))
    audience_q = Q() if seen.is_host else Q(addressees_only=False)
    if not seen.is_host and seen.organisation_id is not None:
        addressees = model.addressed_to.through.objects.filter(organisation_id=seen.organisation_id)
        audience_q |= Q(pk__in=addressees.values("stixobject_id"))
    rule1 = Q() if seen.eligible else public
    rule4 = Q(revoked=False) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now)) if seen.retention else Q()

    allowed = rule1 & audience_q & tlp_q & rule3 & rule4
    if seen.organisation_id is not None:
        allowed |= Q(organisation_id=seen.organisation_id)
    if seen.kept:  # whoever asks, the originator included
        allowed &= ~Q(tlp__in=list(seen.kept))
    return allowed


def visible_groups(
    ctx: PrincipalContext,
    action: str = Action.VIEW,
    purpose: str = Purpose.INVESTIGATION,
    *,
    agreement: str = "agreement_id",
    no_agreement: Q | None = None,
) -> Q:
    """What :func:`visible` lets through on the attributes a whole group of rows shares —
    originator, originator's agreement (the field ``agreement``; ``no_agreement`` the rows shared
    under none), TLP and data category — for rows that are live and not addressed to their
    addressees only. The grants that name one object (TLP:AMBER addressed to the asker's
    organisation, TLP:RED naming the asker) are left out: counts kept per group
    (:mod:`accord.analysis.aggregates`) add those objects one by one. A row this lets through is
    one :func:`visible` lets through; a row :func:`visible` lets through and this does not is one
    of those per-object grants."""
    seen = visibility(ctx, action, purpose)
    public = Q(tlp=Tlp.CLEAR)
    none = no_agreement if no_agreement is not None else Q(**{f"{agreement}__isnull": True})
    originator_q = none | Q(**{f"{agreement}__in": list(seen.permitting)})
    rule1 = Q() if seen.eligible else public
    allowed = rule1 & Q(tlp__in=list(seen.labels)) & (public | (originator_q & _recipient_q(seen)))
    if seen.organisation_id is not None:
        allowed |= Q(organisation_id=seen.organisation_id)
    if seen.kept:
        allowed &= ~Q(tlp__in=list(seen.kept))
    return allowed


def _recipient_q(seen: Visibility) -> Q:
    """Rule 3's recipient side: what the asker's own agreement accepts (everything for the host)."""
    if seen.recipient_caps is None:
        return Q()
    tlps, categories = seen.recipient_caps
    return Q(tlp__in=list(tlps), data_category__in=list(categories)) if tlps and categories else Q(pk__in=[])


def visible(
    ctx: PrincipalContext,
    queryset: QuerySet[StixObject],
    action: str = Action.VIEW,
    purpose: str = Purpose.INVESTIGATION,
) -> QuerySet[StixObject]:
    """``queryset`` (of shared objects) narrowed in SQL to what ``decide`` would allow for the
    asker ``ctx`` (redactions aside)."""
    return queryset.filter(visible_where(visibility(ctx, action, purpose), queryset.model, ctx.now))
