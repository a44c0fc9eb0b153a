"""The policy's predicates, each written once and used by both the per-object decision and the
SQL form. Every predicate answers ``(ok, reason)``; reasons speak to the person asking."""

from __future__ import annotations

from accord.core.choices import DataCategory, OrganisationKind, Purpose, Region, Tlp
from accord.formats.choices import SENSITIVE_OBSERVABLES
from accord.formats.redaction import HANDLING_PROPERTIES, withhold
from accord.partners.models import AgreementVersion
from accord.policy.principal import PrincipalContext

__all__ = [
    "FREE_TEXT_FIELDS",
    "HANDLING_PROPERTIES",
    "REDACTED_FIELDS",
    "SENSITIVE_CATEGORIES",
    "WITHHELD_OBSERVABLES",
    "held_under",
    "kept_on_platform",
    "may_hold",
    "may_name_source",
    "onward_permits",
    "originator_facts",
    "originator_permits",
    "recipient_accepts",
    "redactions_for",
    "redacts",
    "retention_applies",
    "tlp_grant",
    "withhold",
]

# Free text: a name, a description, a note, a comment can carry any value an object holds (the
# free-text reader's context sentence names the phone number it found), so when an object's
# data category is withheld, so is its free text. ``x_*`` stands for every custom property but
# the handling ones (``accord.formats.redaction.HANDLING_PROPERTIES``). ``labels`` stay: they
# are the crime-type vocabulary, which every reader sees as the object's crime type anyway.
FREE_TEXT_FIELDS: tuple[str, ...] = (
    "name",
    "description",
    "aliases",
    "content",
    "contents",
    "abstract",
    "explanation",
    "subject",
    "body",
    "external_references",
    "x_*",
)

# The STIX properties withheld when an originator's agreement redacts a data category on
# onward sharing: the data itself wherever an object carries it (an indicator's pattern names
# the value it detects, so the pattern goes too; an observed-data's inline ``objects`` hold
# values), and all free text (a language-content's ``contents`` translates another's).
REDACTED_FIELDS: dict[str, tuple[str, ...]] = {
    DataCategory.PERSONAL_DATA: (
        "contact_information",
        "email_addresses",
        "number",
        "value",
        "display_name",
        "user_id",
        "account_login",
        "pattern",
        "objects",
        "x_accord_data_subject",
        "x_accord_personal_data",
        *FREE_TEXT_FIELDS,
    ),
    DataCategory.FINANCIAL_IDENTIFIER: (
        "iban",
        "bic",
        "account_number",
        "address",
        "pattern",
        "objects",
        "account_holder",
        "x_accord_account_holder",
        *FREE_TEXT_FIELDS,
    ),
}

# The sensitive categories, most sensitive first. An object is recorded under the most sensitive
# category it holds (``accord.sharing.services.category_of``), so it may hold those after it too:
# a personal-data object may name an IBAN; a financial one holds no personal data.
SENSITIVE_CATEGORIES: tuple[str, ...] = (DataCategory.PERSONAL_DATA, DataCategory.FINANCIAL_IDENTIFIER)

# The observable types withheld with each category: no list of observables may reveal what the
# objects themselves withhold.
WITHHELD_OBSERVABLES: dict[str, tuple[str, ...]] = {
    category: tuple(kind for kind, of in SENSITIVE_OBSERVABLES.items() if of == category)
    for category in SENSITIVE_CATEGORIES
}


def may_hold(category: str) -> tuple[str, ...]:
    """The sensitive categories an object recorded under ``category`` may hold."""
    if category not in SENSITIVE_CATEGORIES:
        return ()
    return SENSITIVE_CATEGORIES[SENSITIVE_CATEGORIES.index(category) :]


def held_under(category: str) -> tuple[str, ...]:
    """The categories an object holding ``category`` may be recorded under (the inverse of
    :func:`may_hold`)."""
    return SENSITIVE_CATEGORIES[: SENSITIVE_CATEGORIES.index(category) + 1]


_TLP_LABEL = dict(Tlp.choices)


class TlpGrant:
    """Which TLP labels a principal may receive for an action (TLP 2.0, from the hub's view).

    ``labels`` pass outright; ``amber_if_addressed`` lets AMBER through when the object is
    addressed to the principal's organisation; ``red_if_named`` lets RED through when the
    principal is a named recipient.
    """

    def __init__(self, labels: set[str], amber_if_addressed: bool, red_if_named: bool) -> None:
        self.labels = labels
        self.amber_if_addressed = amber_if_addressed
        self.red_if_named = red_if_named


def kept_on_platform(action: str) -> frozenset[str]:
    """The TLP labels that never leave the platform by ``action``, whoever asks, the originator
    included: TLP:RED is for the eyes of the people it names, and an exported file or an object
    served over TAXII is beyond the platform's control."""
    return frozenset({Tlp.RED}) if action == "export" else frozenset()


def tlp_grant(ctx: PrincipalContext, action: str) -> TlpGrant:
    if ctx.is_anonymous:
        return TlpGrant({Tlp.CLEAR}, amber_if_addressed=False, red_if_named=False)
    if action == "share_onward":  # beyond the recipient: only the community-wide labels
        return TlpGrant({Tlp.CLEAR, Tlp.GREEN}, amber_if_addressed=False, red_if_named=False)
    red = Tlp.RED not in kept_on_platform(action)
    if ctx.is_host:
        return TlpGrant({Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT}, amber_if_addressed=False, red_if_named=red)
    if ctx.organisation_kind == OrganisationKind.LAW_ENFORCEMENT:
        return TlpGrant({Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER}, amber_if_addressed=False, red_if_named=red)
    return TlpGrant({Tlp.CLEAR, Tlp.GREEN}, amber_if_addressed=True, red_if_named=red)


def tlp_refusal(ctx: PrincipalContext, tlp: str, action: str) -> str:
    label = _TLP_LABEL[tlp]
    if action == "share_onward":
        return f"This object is {label}: it may not be shared onward beyond its recipients."
    if tlp == Tlp.RED:
        if action == "export":
            return (
                "This object is TLP:RED: it is for the people it names only and never leaves the platform "
                "(no export, no TAXII), not even to its originator."
            )
        return "This object is TLP:RED: only the people it names may see it, and you are not one of them."
    if tlp == Tlp.AMBER_STRICT:
        return "This object is TLP:AMBER+STRICT: only the hosting organisation and its originator may see it."
    if tlp == Tlp.AMBER:
        return (
            "This object is TLP:AMBER: it goes to the hosting organisation, member-country law enforcement "
            "and organisations it is addressed to; yours is none of these."
        )
    return f"This object is {label}: it is for participants with an agreement in force."


def originator_facts(ctx: PrincipalContext) -> tuple[bool, str, str]:
    """Every fact of the asker that :func:`originator_permits` (and :func:`onward_permits`)
    reads: what permits one asker permits every asker with the same facts. A fact these
    predicates start reading belongs here (the agreements permitting an asker are kept under
    them: :func:`accord.policy.decision.permitting_agreement_ids`)."""
    return ctx.is_host, ctx.organisation_kind, ctx.organisation_region


def originator_permits(terms: AgreementVersion | None, ctx: PrincipalContext, purpose: str) -> tuple[bool, str]:
    """Rule 3, originator side: purpose, and onward sharing to the recipient's kind and region
    (the asker's facts it reads: :func:`originator_facts`)."""
    if terms is None:
        return True, ""
    if purpose not in terms.purposes:
        return (
            False,
            f"The originator's agreement does not allow its data to be used for {Purpose(purpose).label.lower()}.",
        )
    return onward_permits(terms, ctx)


def onward_permits(terms: AgreementVersion, ctx: PrincipalContext) -> tuple[bool, str]:
    """Rule 3, originator side, whatever the purpose: onward sharing to the recipient's kind and
    region (what decides whether a partner may even learn that an object exists)."""
    if ctx.is_host:
        return True, ""  # the hosting organisation is the first recipient: nothing onward yet
    if ctx.organisation_kind not in terms.onward_kinds:
        kind = OrganisationKind(ctx.organisation_kind).label.lower() if ctx.organisation_kind else "anonymous"
        return False, f"The originator's agreement does not allow onward sharing to {kind} organisations."
    if ctx.organisation_region not in terms.onward_regions:
        region = Region(ctx.organisation_region).label if ctx.organisation_region else "unknown"
        return False, f"The originator's agreement does not allow onward sharing to organisations in {region}."
    return True, ""


def recipient_accepts(ctx: PrincipalContext, tlp: str, category: str, purpose: str) -> tuple[bool, str]:
    """Rule 3, recipient side: its own agreement caps the TLP, the data categories and the
    purposes it receives data for."""
    if ctx.is_host:
        return True, ""
    terms = ctx.terms
    if terms is None or not terms.tlp_ceiling or Tlp.rank(tlp) > Tlp.rank(terms.tlp_ceiling):
        ceiling = _TLP_LABEL.get(terms.tlp_ceiling, "nothing") if terms is not None else "nothing"
        return False, (
            f"Your organisation's agreement {_reference(terms)} caps what it receives at {ceiling}; "
            f"this object is {_TLP_LABEL[tlp]}."
        )
    if purpose not in terms.purposes:
        return False, (
            f"Your organisation's agreement {_reference(terms)} does not cover using shared data for "
            f"{Purpose(purpose).label.lower()}."
        )
    if category not in terms.data_categories:
        return False, (
            f"Your organisation's agreement {_reference(terms)} does not cover the data category "
            f"'{DataCategory(category).label.lower()}'."
        )
    return True, ""


def _reference(terms: AgreementVersion | None) -> str:
    # Read only to explain a refusal: the agreement behind the terms is one more query.
    return terms.agreement.reference if terms is not None else "(none)"


def retention_applies(ctx: PrincipalContext, action: str) -> bool:
    """Revoked and expired objects are gone for everyone, except auditors viewing them on the
    platform; nothing revoked or expired leaves it, not even in an auditor's export."""
    return not (ctx.is_auditor and action == "view")


def redacts(terms: AgreementVersion | None, ctx: PrincipalContext, category: str) -> bool:
    """Whether the originator's agreement withholds ``category`` from this recipient (never from
    the host, the first recipient)."""
    return terms is not None and not ctx.is_host and category in terms.onward_redactions


def redactions_for(terms: AgreementVersion | None, ctx: PrincipalContext, category: str) -> tuple[str, ...]:
    """Fields withheld from a recipient other than the host when the originator's agreement
    says so: those of every category withheld that an object of ``category`` may hold."""
    fields: dict[str, None] = {}
    for held in may_hold(category):
        if redacts(terms, ctx, held):
            fields.update(dict.fromkeys(REDACTED_FIELDS[held]))
    return tuple(fields)


def may_name_source(ctx: PrincipalContext, originator_id: int, terms: AgreementVersion | None) -> bool:
    """Whether the recipient may learn who shared an object: the host and the originator always;
    others where the originator's agreement allows attribution (IEP ``provider_attribution``)."""
    if ctx.is_host or ctx.organisation_id == originator_id:
        return True
    return terms is None or terms.attribution_allowed
