"""Local exclusion lists: known-benign values beside the MISP warning lists; a change re-flags
the correlations it touches."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from django.db import transaction

from accord.analysis import benign, campaigns
from accord.analysis.enabled import enabled_kept
from accord.analysis.models import Correlation, ExclusionEntry, ExclusionList
from accord.analysis.upkeep import upkeep_turn
from accord.core.audit import audit_record
from accord.core.errors import Conflict
from accord.core.guards import invalid, require
from accord.core.models import User
from accord.core.roles import Perm
from accord.formats.choices import ObservableType
from accord.formats.normalisers import InvalidObservable, normalise
from accord.sharing.models import ObjectObservable

__all__ = [
    "exclusion_entry_add",
    "exclusion_entry_remove",
    "exclusion_list_create",
    "exclusion_list_delete",
]


@transaction.atomic
def exclusion_list_create(*, actor: User | None, name: str, description: str = "") -> ExclusionList:
    """A new, empty local list of known-benign values."""
    require(actor, Perm.ANALYSIS_WORK)
    name = name.strip()
    if not name:
        raise invalid("name", "A list needs a name.")
    if ExclusionList.objects.filter(name__iexact=name).exists():
        raise Conflict(f"name: a list called '{name}' exists already.", details={"name": ["Choose another name."]})
    made = ExclusionList.objects.create(name=name, description=description.strip(), created_by=actor)
    audit_record(actor=actor, action="exclusion_list.create", obj=made, details={"name": name})
    return made


def _pattern(kind: str, pattern: str) -> str:
    """The stored form of a pattern, or a 400 saying what a pattern of this type may be."""
    if kind not in ObservableType.values:
        raise invalid("type", f"'{kind}' is not an observable type.", f"One of: {', '.join(ObservableType.values)}.")
    text = pattern.strip()
    if kind in {"ipv4", "ipv6"} and "/" in text:
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError as error:
            raise invalid("pattern", f"'{text}' is not a network: {error}.", "An address or a CIDR network.") from None
        if (network.version == 4) != (kind == "ipv4"):
            raise invalid("pattern", f"'{text}' is not an {kind} network.")
        return str(network)
    if text.startswith("*."):
        if kind not in {"domain", "url", "email"}:
            raise invalid("pattern", f"'*.' patterns are for domains, URLs and e-mail addresses, not {kind}.")
        try:
            return "*." + normalise("domain", text[2:]).value
        except InvalidObservable as error:
            raise invalid("pattern", f"'{text}' is not a domain pattern: {error}.", "*.example.org") from None
    try:
        return normalise(kind, text).value
    except InvalidObservable as error:
        raise invalid("pattern", f"'{text}' is not a valid {kind}: {error}.") from None


def _matching_correlations(kind: str, pattern: str) -> list[int]:
    """The correlated observables of ``kind`` a pattern names."""
    rows = Correlation.objects.filter(observable__type=kind)
    if not pattern.startswith("*.") and "/" not in pattern:
        return list(rows.filter(observable__value=pattern).values_list("pk", flat=True))
    probe = benign.LocalExclusions()
    if pattern.startswith("*."):
        probe.suffixes[kind, pattern[2:]] = "probe"
    else:
        probe.networks.append((kind, ipaddress.ip_network(pattern), "probe"))
    return [pk for pk, value in rows.values_list("pk", "observable__value") if probe.match(kind, value)]


def _reflag(observables: Sequence[int]) -> None:
    """Flag ``observables``' correlations again (the local lists changed) and bring campaigns in
    line with the result."""
    upkeep_turn()
    benign.forget_local_exclusions()
    transaction.on_commit(benign.forget_local_exclusions)  # what other requests compiled meanwhile
    if not observables:
        return
    before = dict(Correlation.objects.filter(pk__in=observables).values_list("pk", "benign"))
    with enabled_kept(observables):
        benign.flag_correlations(observables)
    after = dict(Correlation.objects.filter(pk__in=observables).values_list("pk", "benign"))
    stopped = [pk for pk in observables if not before.get(pk) and after.get(pk)]
    started = [pk for pk in observables if before.get(pk) and not after.get(pk)]
    cut = campaigns.cut_observables(started)
    linking = set(
        Correlation.objects.filter(pk__in=[pk for pk in started if pk not in cut], over_correlating=False).values_list(
            "pk", flat=True
        )
    )
    links = list(
        ObjectObservable.objects.filter(observable_id__in=linking).values_list("stix_object_id", "observable_id")
    )
    campaigns.on_links_added(links, stopped_linking=stopped)


@transaction.atomic
def exclusion_entry_add(
    *,
    actor: User | None,
    exclusion_list: ExclusionList,
    type: str,
    pattern: str,
    comment: str = "",  # noqa: A002
) -> ExclusionEntry:
    """Add a value or pattern to a local list: matching values stop correlating at once, and the
    campaigns they held together split."""
    require(actor, Perm.ANALYSIS_WORK)
    stored = _pattern(type, pattern)
    if ExclusionEntry.objects.filter(exclusion_list=exclusion_list, type=type, pattern=stored).exists():
        raise Conflict(f"pattern: {type} {stored} is on '{exclusion_list.name}' already.")
    entry = ExclusionEntry.objects.create(
        exclusion_list=exclusion_list, type=type, pattern=stored, comment=comment.strip(), created_by=actor
    )
    _reflag(_matching_correlations(type, stored))
    audit_record(
        actor=actor,
        action="exclusion_entry.add",
        obj=entry,
        details={"list": exclusion_list.name, "type": type, "pattern": stored},
    )
    return entry


@transaction.atomic
def exclusion_entry_remove(*, actor: User | None, entry: ExclusionEntry) -> None:
    """Take a pattern off its list; values it alone named correlate and link again."""
    require(actor, Perm.ANALYSIS_WORK)
    details = {"list": entry.exclusion_list.name, "type": entry.type, "pattern": entry.pattern}
    affected = _matching_correlations(entry.type, entry.pattern)
    entry.delete()
    _reflag(affected)
    audit_record(actor=actor, action="exclusion_entry.remove", object_type="analysis.exclusionentry", details=details)


@transaction.atomic
def exclusion_list_delete(*, actor: User | None, exclusion_list: ExclusionList) -> None:
    """Delete a local list and all its patterns."""
    require(actor, Perm.ANALYSIS_WORK)
    affected = [pk for e in exclusion_list.entries.all() for pk in _matching_correlations(e.type, e.pattern)]
    name = exclusion_list.name
    exclusion_list.delete()
    _reflag(sorted(set(affected)))
    audit_record(
        actor=actor, action="exclusion_list.delete", object_type="analysis.exclusionlist", details={"name": name}
    )
