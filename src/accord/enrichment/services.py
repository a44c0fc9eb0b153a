"""Every change to enrichment: configuring enrichers, running one on an observable, and running
the ``run_on_ingest`` ones over a newly stored submission.

Rules, written once here (docs/enrichment.md explains them):

* an enricher is provided by an organisation; one a partner provides runs only while the partner
  is active and an ``analysis_tools`` agreement of that partner is active and in force;
* an enricher's TLP ceiling is at most what its provider may receive under TLP 2.0 from the
  hub's point of view: GREEN for a private or academic partner, AMBER for law enforcement, RED
  for the hosting organisation's own tools (they run inside the platform);
* a value goes to a partner's tool only if the provider organisation may receive, by the policy
  and as an export, an object that mentions it; the host's own tools take what the asking person
  may see (:func:`~accord.enrichment.selectors.sendable_tlps`, the one rule);
* a value is sent only if the TLP it goes at is at or below the ceiling: nothing above the
  ceiling is ever sent;
* on ingest, a value goes because the submission mentions it: each submission gets its own
  results, so that what a reader is shown of them follows only from what it may see;
* every run is stored with its provenance, failures (errors, timeouts, answers that are not a
  JSON object) as ``failed`` results with the reason.

A partner's service is called outside any database transaction, so a slow partner never holds
the database; the result and its audit event are then written together.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from collections.abc import Iterator
from itertools import islice
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accord.core.audit import audit_record
from accord.core.choices import OrganisationKind, OrganisationStatus, Tlp
from accord.core.errors import Forbidden
from accord.core.guards import invalid, one_of, require
from accord.core.models import Organisation, User
from accord.core.roles import Perm
from accord.enrichment.choices import EnrichmentStatus, EnrichmentTrigger
from accord.enrichment.enrichers import ENRICHERS, EnricherBase, EnrichmentError, HttpEnricher
from accord.enrichment.models import Enricher, Enrichment
from accord.enrichment.selectors import sendable_tlps
from accord.partners.choices import AgreementKind, AgreementStatus
from accord.partners.models import Agreement
from accord.sharing.choices import SubmissionStatus
from accord.sharing.models import ObjectObservable, Observable, Submission

__all__ = [
    "enricher_add",
    "enricher_instance",
    "enricher_problem",
    "enricher_refusal",
    "enricher_secret",
    "enricher_update",
    "max_ceiling",
    "observable_enrich",
    "observables_enrich_after_ingest",
]

log = logging.getLogger(__name__)

INGEST_CHUNK = 1000

# The object types audit events of enrichment have named since it was part of the analysis app:
# kept, so that the chain reads the same before and after the move.
AUDIT_ENRICHER = "analysis.enricher"
AUDIT_ENRICHMENT = "analysis.enrichment"


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"accord enricher secrets\x00" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def enricher_secret(enricher: Enricher) -> str:
    """The signing secret in clear, for the call only."""
    if not enricher.secret_sealed:
        return ""
    try:
        return _fernet().decrypt(enricher.secret_sealed.encode()).decode()
    except InvalidToken as exc:
        raise EnrichmentError("the stored secret cannot be read (the secret key changed?): set it again") from exc


def max_ceiling(organisation: Organisation) -> str:
    """The most restricted TLP a tool of ``organisation`` may be sent (TLP 2.0, hub's view)."""
    if organisation.is_host:
        return Tlp.RED
    if organisation.kind == OrganisationKind.LAW_ENFORCEMENT:
        return Tlp.AMBER
    return Tlp.GREEN


def _check(enricher: Enricher, *, secret: str) -> None:
    """Every rule on one enricher's configuration; the first broken one is raised."""
    name = enricher.name
    if not name or not name.replace("-", "").replace("_", "").isalnum() or len(name) > 64:
        raise invalid("name", f"'{name}' is not an enricher name.", "Letters, digits, hyphens and underscores.")
    if enricher.kind not in ENRICHERS:
        kinds = ", ".join(sorted(ENRICHERS))
        raise invalid("kind", f"'{enricher.kind}' is not an enricher kind.", f"One of: {kinds}.")
    cls = ENRICHERS[enricher.kind]
    if not isinstance(enricher.types, list) or not enricher.types:
        raise invalid("types", "name at least one observable type.", ", ".join(sorted(cls.supported_types)))
    unsupported = sorted(set(enricher.types) - cls.supported_types)
    if unsupported:
        raise invalid(
            "types",
            f"a {enricher.kind} enricher does not take {', '.join(unsupported)}.",
            f"Some of: {', '.join(sorted(cls.supported_types))}.",
        )
    enricher.types = sorted(set(enricher.types))
    one_of("tlp_ceiling", enricher.tlp_ceiling, Tlp)
    organisation = enricher.organisation
    highest = max_ceiling(organisation)
    if Tlp.rank(enricher.tlp_ceiling) > Tlp.rank(highest):
        raise invalid(
            "tlp_ceiling",
            f"{organisation.name} may receive at most TLP:{highest.upper()}, not TLP:{enricher.tlp_ceiling.upper()}.",
            f"TLP:{highest.upper()} or less.",
        )
    if not 1 <= enricher.timeout_seconds <= 120:
        raise invalid("timeout_seconds", f"{enricher.timeout_seconds} is not 1 to 120 seconds.", "1 to 120.")
    agreement = enricher.agreement
    if organisation.is_host:
        if agreement is not None:
            raise invalid("agreement", "the hosting organisation's own tools need no agreement.")
    elif agreement is None:
        raise invalid("agreement", f"a tool of {organisation.name} is provided under its analysis-tools agreement.")
    elif agreement.organisation_id != organisation.pk or agreement.kind != AgreementKind.ANALYSIS_TOOLS:
        raise invalid("agreement", f"{agreement.reference} is not an analysis-tools agreement of {organisation.name}.")
    if cls.offline:
        if enricher.url or secret:
            raise invalid("url", f"a {enricher.kind} enricher runs offline and takes no URL or secret.")
    else:
        if not enricher.url.startswith(("http://", "https://")):
            raise invalid("url", f"'{enricher.url}' is not an http(s) URL.", "http://… or https://…")
        if not enricher.secret_sealed and not secret:
            raise invalid("secret", "a partner's service is called with signed requests: give the secret.")


def _seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode() if secret else ""


@transaction.atomic
def enricher_add(
    *,
    actor: User | None,
    name: str,
    kind: str,
    organisation: Organisation,
    tlp_ceiling: str,
    types: list[str] | None = None,
    agreement: Agreement | None = None,
    title: str = "",
    timeout_seconds: int = 10,
    enabled: bool = True,
    run_on_ingest: bool = False,
    url: str = "",
    secret: str = "",
) -> Enricher:
    """Configure an enricher (platform administrators). Without ``types`` it takes every type
    its kind supports; the secret is kept encrypted with a key derived from the secret key."""
    require(actor, Perm.PLATFORM_ADMIN)
    cls = ENRICHERS.get(kind)
    enricher = Enricher(
        name=name,
        title=title.strip() or (cls.label if cls else ""),
        kind=kind,
        organisation=organisation,
        agreement=agreement,
        types=types if types is not None else sorted(cls.supported_types if cls else ()),
        tlp_ceiling=tlp_ceiling,
        timeout_seconds=timeout_seconds,
        enabled=enabled,
        run_on_ingest=run_on_ingest,
        url=url,
        created_by=actor,
    )
    _check(enricher, secret=secret)
    if Enricher.objects.filter(name=name).exists():
        raise invalid("name", f"an enricher called '{name}' exists already.", "A name no other enricher has.")
    enricher.secret_sealed = _seal(secret)
    enricher.save()
    audit_record(
        actor=actor,
        action="enricher.add",
        obj=enricher,
        object_type=AUDIT_ENRICHER,
        organisation=organisation,
        details={"kind": kind, "types": enricher.types, "tlp_ceiling": tlp_ceiling, "url": url},
    )
    return enricher


UPDATABLE = frozenset(
    {"title", "agreement", "types", "tlp_ceiling", "timeout_seconds", "enabled", "run_on_ingest", "url"}
)


@transaction.atomic
def enricher_update(*, actor: User | None, enricher: Enricher, secret: str | None = None, **changes: Any) -> Enricher:
    """Change an enricher's settings (``enabled``, ``tlp_ceiling``, ``types`` …); ``secret`` replaces the secret."""
    require(actor, Perm.PLATFORM_ADMIN)
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise invalid(sorted(unknown)[0], "cannot be changed.", f"One of: {', '.join(sorted(UPDATABLE))}.")
    enricher = Enricher.objects.select_for_update().select_related("organisation").get(pk=enricher.pk)
    for field, value in changes.items():
        setattr(enricher, field, value)
    _check(enricher, secret=secret or "")
    if secret:
        enricher.secret_sealed = _seal(secret)
    enricher.save()
    shown = {k: (v.reference if isinstance(v, Agreement) else v) for k, v in changes.items()}
    audit_record(
        actor=actor,
        action="enricher.update",
        obj=enricher,
        object_type=AUDIT_ENRICHER,
        organisation=enricher.organisation,
        details={**shown, "secret": secret is not None},
    )
    return enricher


def enricher_problem(enricher: Enricher) -> str:
    """Why the enricher may not run now (disabled, provider or agreement not in force); ``""`` if it may."""
    if not enricher.enabled:
        return f"{enricher.name} is disabled."
    if enricher.kind not in ENRICHERS:
        return f"{enricher.name} is of kind '{enricher.kind}', which is not installed."
    organisation = enricher.organisation
    if organisation.is_host:
        return ""
    if organisation.status != OrganisationStatus.ACTIVE:
        return f"{organisation.name}, which provides {enricher.name}, is {organisation.status}."
    agreement = enricher.agreement
    version = agreement.current_version if agreement else None
    if agreement is None or agreement.status != AgreementStatus.ACTIVE or version is None:
        return f"{enricher.name} has no analysis-tools agreement in force."
    if not version.covers(timezone.now()):
        return f"{agreement.reference}, under which {enricher.name} is provided, is not in force today."
    return ""


def enricher_instance(enricher: Enricher) -> EnricherBase:
    """The configured tool, ready to call."""
    cls = ENRICHERS.get(enricher.kind)
    if cls is None:
        raise EnrichmentError(f"no enricher of kind '{enricher.kind}' is installed")
    return cls(
        types=enricher.types,
        tlp_ceiling=enricher.tlp_ceiling,
        timeout=float(enricher.timeout_seconds),
        provider=enricher.organisation.name,
        url=enricher.url,
        secret=enricher_secret(enricher) if issubclass(cls, HttpEnricher) else "",
    )


def _run(enricher: Enricher, observable: Observable, tlp: str, **provenance: Any) -> Enrichment:
    """Call the tool and return the (unsaved) result with its provenance; the tool's failures
    become a failed result."""
    started = time.monotonic()
    try:
        result = enricher_instance(enricher).enrich(observable.type, observable.value)
    except EnrichmentError as exc:
        status, result, error = EnrichmentStatus.FAILED, {}, str(exc)
    except Exception as exc:  # a tool's own bug must not lose the record of the attempt
        log.exception("enricher %s failed on observable %s", enricher.name, observable.pk)
        status, result, error = EnrichmentStatus.FAILED, {}, f"the enricher failed: {type(exc).__name__}"
    else:
        status, error = EnrichmentStatus.OK, ""
    return Enrichment(
        observable=observable,
        enricher=enricher,
        provider=enricher.organisation,
        tlp_sent=tlp,
        status=status,
        result=result,
        error=error,
        duration_ms=int((time.monotonic() - started) * 1000),
        **provenance,
    )


def _refusal(enricher: Enricher, observable: Observable, tlp: str | None) -> str:
    """Why this value may not go to this enricher at ``tlp`` (``None``: it may not go at all,
    see :func:`~accord.enrichment.selectors.sendable_tlps`); ``""`` if it may."""
    if observable.type not in enricher.types:
        return f"{enricher.name} does not take {observable.type} observables."
    if tlp is None:
        if enricher.organisation.is_host:
            return "no live object you may see mentions this observable."
        return f"{enricher.organisation.name} may receive no live object that mentions this observable."
    if Tlp.rank(tlp) > Tlp.rank(enricher.tlp_ceiling):
        return (
            f"the observable is TLP:{tlp.upper()}, above {enricher.name}'s ceiling TLP:{enricher.tlp_ceiling.upper()}."
        )
    return ""


def _sendable(actor: User | None, enricher: Enricher, observable: Observable) -> tuple[str | None, str]:
    """The TLP the value would go at to ``enricher`` asked by ``actor``, and why it may not go."""
    tlp = sendable_tlps(enricher=enricher, observable_ids=[observable.pk], actor=actor).get(observable.pk)
    return tlp, _refusal(enricher, observable, tlp)


def enricher_refusal(*, actor: User | None, enricher: Enricher, observable: Observable) -> str:
    """Why ``actor`` may not send ``observable`` to ``enricher`` now (not in force, a type it does
    not take, nobody it may go to, above its ceiling); ``""`` if they may."""
    return enricher_problem(enricher) or _sendable(actor, enricher, observable)[1]


def observable_enrich(*, actor: User | None, observable: Observable, enricher: Enricher) -> Enrichment:
    """Run one enricher on one observable now (analysts) and store the outcome with its provenance.

    The value is sent only if the enricher may run, it may go to the enricher (a partner's tool:
    its provider may receive an object that mentions it) and the TLP it goes at is at or below
    the enricher's ceiling; otherwise nothing is sent and nothing stored. A tool that fails gives
    a stored ``failed`` result, not an error.
    """
    require(actor, Perm.ANALYSIS_WORK)
    problem = enricher_problem(enricher)
    if problem:
        raise invalid("enricher", problem)
    tlp, refusal = _sendable(actor, enricher, observable)
    if refusal:
        if observable.type not in enricher.types:
            raise invalid("enricher", refusal)
        raise Forbidden(f"Nothing was sent: {refusal}")
    assert tlp is not None  # noqa: S101 - _refusal returned "" only with a TLP
    enrichment = _run(enricher, observable, tlp, requested_by=actor, trigger=EnrichmentTrigger.REQUEST)
    with transaction.atomic():
        enrichment.save()
        audit_record(
            actor=actor,
            action="enrichment.run",
            obj=enrichment,
            object_type=AUDIT_ENRICHMENT,
            organisation=enricher.organisation,
            details={
                "enricher": enricher.name,
                "observable": observable.pk,
                "type": observable.type,
                "tlp_sent": tlp,
                "status": enrichment.status,
                "error": enrichment.error,
            },
        )
    return enrichment


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def observables_enrich_after_ingest(*, submission_id: int) -> dict[str, int]:
    """Run every enabled, in-force ``run_on_ingest`` enricher over the observables of a stored
    submission; ``{enricher name: results stored}``.

    Each submission gets its own results, whatever earlier submissions (which a reader may not
    see) gave: a reader is shown the results of the submissions it sees. Idempotent: a value that
    already has a successful result from an enricher for this submission is not sent to it
    again. Only this submission's objects count for what may go (see
    :func:`~accord.enrichment.selectors.sendable_tlps`), so a partner's tool never
    learns of a submission it may not receive; values above a ceiling are skipped. Network tools
    are called for at most ``ACCORD_ENRICH_INGEST_NETWORK_LIMIT`` observables of one submission.
    """
    submission = Submission.objects.filter(pk=submission_id, status=SubmissionStatus.DONE).first()
    if submission is None:
        return {}
    enrichers = [
        e
        for e in Enricher.objects.filter(enabled=True, run_on_ingest=True).select_related(
            "organisation", "agreement__current_version"
        )
        if not enricher_problem(e)
    ]
    if not enrichers:
        return {}
    wanted = sorted({kind for e in enrichers for kind in e.types})  # only what some tool takes
    linked = (
        ObjectObservable.objects.filter(stix_object__submission_id=submission_id, observable__type__in=wanted)
        .values_list("observable__type", "observable__value", "observable_id")
        .distinct()
    )
    # In the order of the values, not of their ids: which values a network tool's limit leaves
    # out must not depend on whether an earlier (perhaps hidden) submission stored them first.
    ids = [pk for _, _, pk in sorted(set(linked))]
    stored: dict[str, int] = {e.name: 0 for e in enrichers}
    network_left = {e.name: settings.ACCORD_ENRICH_INGEST_NETWORK_LIMIT for e in enrichers}
    for chunk in _chunks(ids, INGEST_CHUNK):
        observables = sorted(Observable.objects.filter(pk__in=chunk), key=lambda o: (o.type, o.value))
        by_provider: dict[int, dict[int, str]] = {}  # the host's tools share one reading
        for enricher in enrichers:
            key = 0 if enricher.organisation.is_host else enricher.organisation_id
            if key not in by_provider:
                by_provider[key] = sendable_tlps(enricher=enricher, observable_ids=chunk, submission_id=submission.pk)
            tlps = by_provider[key]
            done = set(
                Enrichment.objects.filter(
                    enricher=enricher, status=EnrichmentStatus.OK, observable_id__in=chunk, submission=submission
                ).values_list("observable_id", flat=True)
            )
            todo = [o for o in observables if o.pk not in done and not _refusal(enricher, o, tlps.get(o.pk))]
            if not ENRICHERS[enricher.kind].offline:
                todo = todo[: max(network_left[enricher.name], 0)]
                network_left[enricher.name] -= len(todo)
            if not todo:
                continue
            rows = [
                _run(enricher, o, tlps[o.pk], trigger=EnrichmentTrigger.INGEST, submission=submission) for o in todo
            ]
            with transaction.atomic():
                Enrichment.objects.bulk_create(rows)
                audit_record(
                    actor=None,
                    action="enrichment.ingest",
                    obj=submission,
                    organisation=enricher.organisation,
                    details={
                        "enricher": enricher.name,
                        "results": len(rows),
                        "failed": sum(r.status == EnrichmentStatus.FAILED for r in rows),
                    },
                )
            stored[enricher.name] += len(rows)
    return stored
