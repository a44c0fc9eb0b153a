"""The generated matrix: the per-object decision and the SQL form agree on every combination.

Dimensions: role × agreement state of the recipient (active, expired, suspended, none, or an
active agreement under a partnership sanction) × recipient kind (private, law enforcement,
academia) × the recipient's own terms (broad, narrow) ×
targeted (AMBER addressed to the recipient / RED naming the person) × TLP (5) ×
data category (5) × originator's onward-sharing terms (permits, permits without attribution,
redacts, excludes the kind, excludes the region, the host's own object without agreement, or
the host's own product sent only to the organisations it is addressed to, like a disseminated
report) × object state (live, expired, revoked) × action (4) × purpose (one permitted, one not).
Host staff are exempt from rule 1, so for them the recipient-side dimensions collapse to
"targeted or not". Every denial names its rule, and every outcome is checked against an
independent reading of the design's rules (``expected`` below). Fields marked through granular
markings are checked the same way, against the same reading of the rules applied to the field's
TLP. Where an object is allowed, whether its source may be named (``Decision.may_name_source``)
agrees with the SQL form (``nameable_sources``) and with the same independent reading
(``expected_named``).
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accord.core.choices import DataCategory, OrganisationKind, Purpose, Region, Role, Tlp
from accord.formats.markings import TLP2_IDS
from accord.policy import Action, Rule, decide, nameable_sources, principal_context, visible
from accord.sharing.models import StixObject
from tests.factories import HostFactory, OrganisationFactory, UserFactory, make_agreement

ROLES = list(Role)
AGREEMENT_STATES = ["active", "expired", "suspended", "none", "sanctioned"]
RECIPIENT_KINDS = [OrganisationKind.PRIVATE, OrganisationKind.LAW_ENFORCEMENT, OrganisationKind.ACADEMIA]
TARGETED = [False, True]
RECIPIENT_TERMS = {
    "broad": {"tlp_ceiling": Tlp.RED, "data_categories": list(DataCategory.values)},
    "narrow": {
        "tlp_ceiling": Tlp.GREEN,
        "data_categories": [DataCategory.TECHNICAL_INDICATOR, DataCategory.INCIDENT_REPORT],
    },
}
ONWARD_TERMS = ["permits", "unattributed", "redacts", "excludes_kind", "excludes_region", "host_own", "host_report"]
HOST_VARIANTS = {"host_own", "host_report"}
OBJECT_STATES = ["live", "expired", "revoked"]
PURPOSES = [Purpose.INVESTIGATION, Purpose.RESEARCH]
HOST_ROLES = {Role.ADMIN, Role.PROGRAMME_MANAGER, Role.ANALYST, Role.AUDITOR}


def _originator_terms(variant: str) -> dict[str, Any]:
    everything = {"onward_kinds": list(OrganisationKind.values), "onward_regions": list(Region.values)}
    if variant == "redacts":
        return everything | {"onward_redactions": [DataCategory.PERSONAL_DATA, DataCategory.FINANCIAL_IDENTIFIER]}
    if variant == "excludes_kind":
        return everything | {"onward_kinds": [OrganisationKind.ACADEMIA, OrganisationKind.INTERNATIONAL_ORG]}
    if variant == "excludes_region":
        return everything | {"onward_regions": [Region.AFRICA, Region.AMERICAS]}
    if variant == "unattributed":  # IEP provider_attribution: the source may not be named
        return everything | {"provider_attribution": "must-not"}
    return everything


@pytest.fixture
def matrix(db: Any) -> dict[str, Any]:
    now = timezone.now()
    host = HostFactory()
    principals: dict[tuple[Any, ...], Any] = {}
    targeted_orgs, targeted_users = [], []
    for role, state, kind, terms, targeted in itertools.product(
        ROLES, AGREEMENT_STATES, RECIPIENT_KINDS, RECIPIENT_TERMS, TARGETED
    ):
        if role in HOST_ROLES:
            if (state, kind, terms) != (AGREEMENT_STATES[0], RECIPIENT_KINDS[0], "broad"):
                continue  # exempt from rule 1: one principal per role and targeting
            organisation = host
        else:
            organisation = OrganisationFactory(
                kind=kind, sector="cybersecurity" if kind == OrganisationKind.PRIVATE else "", country="GB"
            )
            if state == "active":
                make_agreement(organisation, **RECIPIENT_TERMS[terms])
            elif state == "expired":
                make_agreement(
                    organisation, status="expired", valid_until=now - timedelta(days=3), **RECIPIENT_TERMS[terms]
                )
            elif state == "suspended":
                make_agreement(organisation, status="suspended", **RECIPIENT_TERMS[terms])
            elif state == "sanctioned":
                make_agreement(organisation, **RECIPIENT_TERMS[terms])
                organisation.status = "suspended"
                organisation.save()
        user = UserFactory(role=role, organisation=organisation)
        if targeted:
            targeted_users.append(user)
            if not organisation.is_host:
                targeted_orgs.append(organisation)
        principals[(role, state, kind, terms, targeted)] = user

    originators: dict[str, Any] = {}
    for variant in ONWARD_TERMS:
        if variant in HOST_VARIANTS:
            originators[variant] = None
            continue
        organisation = OrganisationFactory(kind=OrganisationKind.PRIVATE, country="US")
        originators[variant] = make_agreement(organisation, **_originator_terms(variant))
    specs: dict[int, tuple[Any, ...]] = {}
    for n, (tlp, category, variant, state, targeted) in enumerate(
        itertools.product(Tlp.values, DataCategory.values, ONWARD_TERMS, OBJECT_STATES, TARGETED)
    ):
        agreement = originators[variant]
        obj = StixObject.objects.create(
            stix_id=f"indicator--00000000-0000-4000-8000-{n:012}",
            type="indicator",
            created=now,
            modified=now,
            organisation=agreement.organisation if agreement else host,
            agreement=agreement,
            tlp=tlp,
            data_category=category,
            expires_at=now - timedelta(days=1) if state == "expired" else now + timedelta(days=30),
            revoked=state == "revoked",
            addressees_only=variant == "host_report",
        )
        if targeted:
            obj.addressed_to.set(targeted_orgs)
            obj.recipients.set(targeted_users)
        specs[obj.pk] = (tlp, category, variant, state, targeted)
    return {
        "principals": principals,
        "objects": specs,
        "originators": originators,
        "host": host,
        "targeted": (targeted_orgs, targeted_users),
    }


def test_decide_and_sql_agree_on_every_combination(matrix):
    objects = list(
        StixObject.objects.select_related("agreement__current_version__agreement").prefetch_related(
            "recipients", "addressed_to"
        )
    )
    assert len(objects) == len(Tlp.values) * len(DataCategory.values) * len(ONWARD_TERMS) * len(OBJECT_STATES) * 2
    assert len(matrix["principals"]) == len(HOST_ROLES) * 2 + 2 * len(AGREEMENT_STATES) * len(RECIPIENT_KINDS) * 2 * 2
    disagreements, undecided_denials, unexpected, misnamed, checked = [], [], [], [], 0
    outcomes: dict[bool, int] = {True: 0, False: 0}
    named_outcomes: dict[bool, int] = {True: 0, False: 0}
    rules_seen: set[Rule] = set()
    for spec, user in matrix["principals"].items():
        context = principal_context(user)
        named_in_sql = set(StixObject.objects.filter(nameable_sources(context)).values_list("pk", flat=True))
        for action, purpose in itertools.product(Action, PURPOSES):
            in_sql = set(visible(context, StixObject.objects.all(), action, purpose).values_list("pk", flat=True))
            for obj in objects:
                decision = decide(context, obj, action, purpose)
                checked += 1
                outcomes[decision.allowed] += 1
                rules_seen.add(decision.rule)
                if decision.allowed != (obj.pk in in_sql):
                    disagreements.append((spec, action, purpose, obj.tlp, obj.data_category, obj.pk, decision))
                if decision.allowed != expected(spec, matrix["objects"][obj.pk], action, purpose):
                    unexpected.append((spec, matrix["objects"][obj.pk], action, purpose, decision))
                if not decision.allowed and (decision.rule == Rule.GRANTED or not decision.reason):
                    undecided_denials.append((spec, obj.pk, decision))
                if decision.allowed:
                    named_outcomes[decision.may_name_source] += 1
                    if not (
                        decision.may_name_source
                        == (obj.pk in named_in_sql)
                        == expected_named(spec, matrix["objects"][obj.pk])
                    ):
                        misnamed.append((spec, matrix["objects"][obj.pk], action, purpose, decision))
                elif decision.may_name_source:  # nothing is told of an object one may not have
                    misnamed.append((spec, matrix["objects"][obj.pk], action, purpose, decision))
    assert checked == len(matrix["principals"]) * len(Action) * len(PURPOSES) * len(objects)
    assert disagreements == []
    assert unexpected[:5] == []
    assert undecided_denials == []
    assert misnamed[:5] == []
    assert outcomes[True] and outcomes[False]
    assert named_outcomes[True] and named_outcomes[False]
    assert rules_seen == {
        Rule.ORIGINATOR,
        Rule.GRANTED,
        Rule.RECIPIENT_AGREEMENT,
        Rule.AUDIENCE,
        Rule.TLP,
        Rule.ONWARD_SHARING,
        Rule.RECIPIENT_TERMS,
        Rule.RETENTION,
    }


# Granular markings (STIX 2.1 §7.2.3): a field marked with each TLP on objects every principal
# may or may not see, under originators that permit, exclude the kind, or are the host.
GRANULAR_OBJECT_TLPS = [Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER]
GRANULAR_VARIANTS = ["permits", "excludes_kind", "host_own"]


def test_a_granularly_marked_field_is_decided_by_the_same_rules_as_an_object_of_its_tlp(matrix):
    """For every principal, action and purpose: an object with a field marked through
    ``granular_markings`` is allowed exactly as without it (and ``visible`` agrees), and the
    field is sent exactly when the design's rules would send the object if it bore the field's
    TLP."""
    now = timezone.now()
    specs: dict[int, tuple[Any, ...]] = {}
    orgs, users = matrix["targeted"]
    for n, (tlp, field_tlp, variant, targeted) in enumerate(
        itertools.product(GRANULAR_OBJECT_TLPS, Tlp.values, GRANULAR_VARIANTS, TARGETED)
    ):
        agreement = matrix["originators"][variant]
        obj = StixObject.objects.create(
            stix_id=f"indicator--00000000-0000-4000-9000-{n:012}",
            type="indicator",
            created=now,
            modified=now,
            organisation=agreement.organisation if agreement else matrix["host"],
            agreement=agreement,
            tlp=tlp,
            data_category=DataCategory.TECHNICAL_INDICATOR,
            expires_at=now + timedelta(days=30),
            body={
                "description": "marked",
                "granular_markings": [{"marking_ref": TLP2_IDS[field_tlp], "selectors": ["description"]}],
            },
            granular_tlps=field_tlp,
        )
        if targeted:
            obj.addressed_to.set(orgs)
            obj.recipients.set(users)
        specs[obj.pk] = (tlp, DataCategory.TECHNICAL_INDICATOR, variant, "live", targeted)
    objects = list(
        StixObject.objects.filter(pk__in=specs)
        .select_related("agreement__current_version__agreement")
        .prefetch_related("recipients", "addressed_to")
    )
    wrong: list[tuple[Any, ...]] = []
    fields_sent = {True: 0, False: 0}
    for spec, user in matrix["principals"].items():
        context = principal_context(user)
        for action, purpose in itertools.product(Action, PURPOSES):
            in_sql = set(
                visible(context, StixObject.objects.filter(pk__in=specs), action, purpose).values_list("pk", flat=True)
            )
            for obj in objects:
                decision = decide(context, obj, action, purpose)
                if decision.allowed != (obj.pk in in_sql) or decision.allowed != expected(
                    spec, specs[obj.pk], action, purpose
                ):
                    wrong.append((spec, specs[obj.pk], action, purpose, "object", decision))
                if not decision.allowed:
                    continue
                field_tlp = obj.granular_tlps
                sent = "description" not in decision.granular
                fields_sent[sent] += 1
                if sent != expected(spec, (field_tlp, *specs[obj.pk][1:]), action, purpose):
                    wrong.append((spec, specs[obj.pk], field_tlp, action, purpose, decision))
    assert wrong[:5] == []
    assert fields_sent[True] and fields_sent[False]


def expected_named(principal: tuple[Any, ...], obj: tuple[Any, ...]) -> bool:
    """Whether the source of an object the principal has may be named to it, read afresh: always
    to host staff and for the host's own objects; otherwise as the originator's agreement says
    (IEP ``provider_attribution``)."""
    role, variant = principal[0], obj[2]
    return role in HOST_ROLES or variant != "unattributed"  # the host's own name no agreement


def expected(principal: tuple[Any, ...], obj: tuple[Any, ...], action: str, purpose: str) -> bool:
    """The design's rules read afresh, from the matrix's own dimensions (not from accord.policy)."""
    role, state, kind, terms, targeted = principal
    tlp, category, variant, object_state, object_targeted = obj
    host = role in HOST_ROLES
    if tlp == "red" and action == "export":  # RED never leaves the platform, not even to its originator
        return False
    if host and variant in HOST_VARIANTS:  # rule 0: the host originated it
        return True
    public = tlp == "clear"
    if not public and not (host or state == "active"):  # rule 1
        return False
    named = targeted and object_targeted
    if variant == "host_report" and not (host or named):  # rule 2: sent to its addressees only
        return False
    if action == "share_onward":  # rule 2
        tlp_ok = tlp in ("clear", "green")
    else:
        red = tlp == "red" and named and action != "export"
        if host:
            tlp_ok = tlp in ("clear", "green", "amber", "amber+strict") or red
        elif kind == OrganisationKind.LAW_ENFORCEMENT:
            tlp_ok = tlp in ("clear", "green", "amber") or red
        else:
            tlp_ok = tlp in ("clear", "green") or (tlp == "amber" and named) or red
    if not tlp_ok:
        return False
    if not public:  # rule 3
        if variant not in HOST_VARIANTS:
            if purpose not in ("investigation", "prevention"):
                return False
            if not host and variant == "excludes_kind" and kind not in ("academia", "international_org"):
                return False
            if not host and variant == "excludes_region":  # recipients are in Europe
                return False
        if not host:
            ceiling = list(Tlp.values) if terms == "broad" else ["clear", "green"]
            categories = RECIPIENT_TERMS[terms]["data_categories"]
            if tlp not in ceiling or category not in categories or purpose not in ("investigation", "prevention"):
                return False
    return object_state == "live" or (role == Role.AUDITOR and action == "view")  # rule 4
