"""Data categories: what an object is recorded under, from its type, what it says, what it
mentions and what it declares; and its own handling properties, checked on the way in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from accord.core.choices import DataCategory
from accord.formats.base import ParsedObject, ReadError
from accord.formats.choices import SENSITIVE_OBSERVABLES
from accord.policy import SENSITIVE_CATEGORIES
from accord.sharing.choices import Nature, SubjectCategory

# The data category of an object of a STIX type, where the type alone decides it. Cyber-observables
# of people (an e-mail address, a user account, a message between people, a phone number) are
# personal data. Types whose category depends on what the object says are in ``_category_by_data``.
_CATEGORY_BY_TYPE = {
    "x-accord-bank-account": DataCategory.FINANCIAL_IDENTIFIER,
    "x-accord-crypto-wallet": DataCategory.FINANCIAL_IDENTIFIER,
    "x-accord-phone-number": DataCategory.PERSONAL_DATA,
    "email-addr": DataCategory.PERSONAL_DATA,
    "email-message": DataCategory.PERSONAL_DATA,
    "user-account": DataCategory.PERSONAL_DATA,
    "report": DataCategory.INCIDENT_REPORT,
    "incident": DataCategory.INCIDENT_REPORT,
    "note": DataCategory.INCIDENT_REPORT,
    "opinion": DataCategory.INCIDENT_REPORT,
    "grouping": DataCategory.INCIDENT_REPORT,
}
# STIX 2.1 §4.5 identity-class-ov: only these are about a person (an unknown class may be one).
_PERSON_CLASSES = frozenset({"individual", "unknown"})
# Threat actors and intrusion sets that are one person: resource level ``individual`` (STIX 2.1
# attack-resource-level-ov), or a type naming a person (threat-actor-type-ov's insiders, or
# ``individual``, which producers use though the vocabulary is open).
_PERSON_ACTOR_TYPES = frozenset({"individual", "insider-accidental", "insider-disgruntled"})
# Properties that carry a binary (STIX 2.1 §6.1 artifact: ``payload_bin``, or ``url`` to it; a
# ``malware`` object carries one only in a ``payload_bin`` of its own, which some producers add).
_BINARY_PROPERTIES = ("payload_bin", "url")


# Data categories from the most sensitive: what an object holds and declares, it is recorded
# under the first of them (personal data and financial identifiers first, as the policy reads them).
_SENSITIVITY: tuple[str, ...] = (*SENSITIVE_CATEGORIES, DataCategory.MALWARE_SAMPLE, DataCategory.INCIDENT_REPORT)
_CATEGORIES = frozenset(DataCategory.values)  # ``values`` builds a new list on every read


def _category_by_data(stix: dict[str, Any]) -> str | None:
    """The category of an object whose type does not decide it alone, from what it says."""
    kind = stix["type"]
    if kind == "identity":
        identity_class = stix.get("identity_class")
        personal = identity_class is None or identity_class in _PERSON_CLASSES
        return DataCategory.PERSONAL_DATA if personal else None
    if kind in ("threat-actor", "intrusion-set"):
        types = stix.get("threat_actor_types")
        named = set(types) if isinstance(types, list) else set()
        if named & _PERSON_ACTOR_TYPES or stix.get("resource_level") == "individual":
            return DataCategory.PERSONAL_DATA
        return None
    if kind == "artifact":
        carries = any(stix.get(name) for name in _BINARY_PROPERTIES)
        return DataCategory.MALWARE_SAMPLE if carries else None
    if kind == "malware":
        return DataCategory.MALWARE_SAMPLE if stix.get("payload_bin") else None
    return _CATEGORY_BY_TYPE.get(kind)


def category_of(parsed: ParsedObject, also: str | None = None) -> str:
    """The object's data category: the most sensitive of what it holds (what its type and data
    say it is, the observables it mentions, what it declares in ``x_accord_data_category``), in
    the order of :data:`_SENSITIVITY`; else a technical indicator. The data decides where the
    type does not: an ``identity`` is personal data unless its ``identity_class`` says it is no
    person, a threat actor or intrusion set when it is one individual, an ``artifact`` (or a
    ``malware`` object) a malware sample only when it carries the binary: a malware family, or
    a ``sample_refs`` pointing at a sample, is technical intelligence.
    A declaration wins only when it is at least as sensitive as what the object holds: it may
    raise the category, never lower it (an indicator of an e-mail address is personal data, a
    carried binary a malware sample, whatever they say). ``also`` is a category the object holds
    by what it stands for (a translation, the category of what it translates)."""
    declared = parsed.stix.get("x_accord_data_category")
    held = {_category_by_data(parsed.stix), also, *(SENSITIVE_OBSERVABLES.get(m.type) for m in parsed.mentions)}
    if isinstance(declared, str) and declared in _CATEGORIES:
        held.add(declared)
    if len(held) > 1 or None not in held:  # most objects hold nothing that decides: one set probe
        for category in _SENSITIVITY:
            if category in held:
                return category
    return DataCategory.TECHNICAL_INDICATOR


def _handling_problem(item: ParsedObject, category: str) -> ReadError | None:
    """Check the object's own handling properties; personal data always gets a subject category."""
    credibility = item.stix.get("x_accord_credibility")
    if credibility is not None and (
        not isinstance(credibility, int) or isinstance(credibility, bool) or not 1 <= credibility <= 4
    ):
        return ReadError(item.where, "x_accord_credibility", f"{credibility!r} is not an information credibility 1-4")
    subject = item.stix.get("x_accord_data_subject")
    if subject is not None and subject not in SubjectCategory.values:
        return ReadError(
            item.where, "x_accord_data_subject", f"{subject!r} is not one of: {', '.join(SubjectCategory.values)}"
        )
    nature = item.stix.get("x_accord_nature")
    if nature is not None and nature not in Nature.values:
        return ReadError(item.where, "x_accord_nature", f"{nature!r} is not one of: {', '.join(Nature.values)}")
    if category == DataCategory.PERSONAL_DATA:
        item.stix.setdefault("x_accord_data_subject", SubjectCategory.OTHER.value)
    return None


def most_sensitive(categories: Iterable[str]) -> str:
    """The most sensitive of ``categories`` (a technical indicator when none is sensitive)."""
    given = set(categories)
    return next((category for category in _SENSITIVITY if category in given), DataCategory.TECHNICAL_INDICATOR)
