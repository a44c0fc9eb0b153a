"""Agreements: drafting, amending (a new version each time) and the signed document."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accord.core.audit import audit_record
from accord.core.choices import OrganisationStatus
from accord.core.guards import invalid, one_of, require
from accord.core.models import Organisation, User
from accord.core.roles import Perm
from accord.partners.choices import AGREEMENT_PREFIX, AgreementKind, AgreementStatus
from accord.partners.models import Agreement, AgreementVersion
from accord.partners.services._common import _create_numbered
from accord.partners.services.lifecycle import _locked, organisation_sync_status, status_due
from accord.partners.services.terms import (
    TERM_FIELDS,
    _check_no_overlap,
    _check_window,
    _clean_terms,
    _first_version,
    _terms_snapshot,
)
from accord.partners.watchers import partnership_change

__all__ = [
    "PDF_MAGIC",
    "agreement_amend",
    "agreement_attach_document",
    "agreement_create",
]


@transaction.atomic
def agreement_create(
    *,
    actor: User | None,
    organisation: Organisation,
    kind: str,
    title: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    terms: dict[str, Any] | None = None,
    change_note: str = "",
) -> Agreement:
    """Draft an agreement with its first version of terms."""
    require(actor, Perm.PARTNERSHIP_MANAGE)
    one_of("kind", kind, AgreementKind)
    if organisation.is_host:
        raise invalid("organisation", "the hosting organisation does not sign agreements with itself.")
    if organisation.status == OrganisationStatus.TERMINATED:
        raise invalid("organisation", f"{organisation.name}'s partnership is terminated.")
    if not title.strip():
        raise invalid("title", "an agreement needs a title.", "Required.")
    _check_window(valid_from, valid_until)
    clean = _clean_terms(kind, terms or {})
    agreement = _create_numbered(
        Agreement, AGREEMENT_PREFIX[AgreementKind(kind)], organisation=organisation, kind=kind, title=title.strip()
    )
    _first_version(
        agreement,
        actor=actor,
        kind=kind,
        valid_from=valid_from,
        valid_until=valid_until,
        change_note=change_note,
        **clean,
    )
    return agreement


@transaction.atomic
def agreement_amend(
    *,
    actor: User | None,
    agreement: Agreement,
    change_note: str,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    clear_valid_until: bool = False,
    terms: dict[str, Any] | None = None,
) -> Agreement:
    """Amend an agreement: a new version with the changes, the old versions kept as they were."""
    require(actor, Perm.PARTNERSHIP_MANAGE)
    agreement = _locked(agreement)
    if agreement.status in (AgreementStatus.EXPIRED, AgreementStatus.TERMINATED):
        raise invalid("status", f"{agreement.reference} is {agreement.status}; draft a new agreement instead.")
    if not change_note.strip():
        raise invalid("change_note", "say what the amendment changes.", "Required.")
    current = agreement.current_version
    assert current is not None  # noqa: S101 - every agreement is created with a version
    merged = (
        {field: getattr(current, field) for field in TERM_FIELDS}
        if agreement.kind == AgreementKind.DATA_SHARING
        else {}
    )
    merged.update(terms or {})
    clean = _clean_terms(agreement.kind, merged)
    start = valid_from or current.valid_from
    end = None if clear_valid_until else (valid_until or current.valid_until)
    _check_window(start, end)
    version = AgreementVersion(
        agreement=agreement,
        number=current.number + 1,
        valid_from=start,
        valid_until=end,
        change_note=change_note.strip(),
        created_by=actor,
        **clean,
    )
    if agreement.status == AgreementStatus.ACTIVE:
        _check_no_overlap(agreement, version)
    alters_views = not _alike_to_the_policy(agreement, current, version, timezone.now())
    with partnership_change(
        organisation_id=agreement.organisation_id, agreement_id=agreement.pk, alters_views=alters_views
    ):
        version.save()
        agreement.current_version = version
        agreement.save(update_fields=["current_version", "updated_at"])
        audit_record(
            actor=actor,
            action="agreement.amend",
            obj=agreement,
            organisation=agreement.organisation,
            justification=change_note,
            details={"version": version.number, "terms": _terms_snapshot(version)},
        )
        organisation_sync_status(actor=actor, organisation=agreement.organisation)
    return agreement


def _alike_to_the_policy(
    agreement: Agreement, current: AgreementVersion, version: AgreementVersion, now: datetime
) -> bool:
    """Whether ``version`` replacing ``current`` at ``now`` leaves what every organisation may
    receive as it was: the policy reads of a version its terms and whether its window holds the
    moment (edges to come are recorded as they pass), and of the organisation its status, which
    the amendment's sync must then leave as it is."""
    if current.covers(now) != version.covers(now):
        return False
    if any(_as_read(getattr(current, name)) != _as_read(getattr(version, name)) for name in TERM_FIELDS):
        return False
    organisation = agreement.organisation
    return status_due(organisation, now) in (None, organisation.status)


def _as_read(term: Any) -> Any:
    """A term as the policy reads it: a list for what it holds, in any order."""
    return sorted(term) if isinstance(term, list) else term


PDF_MAGIC = b"%PDF-"


@transaction.atomic
def agreement_attach_document(
    *, actor: User | None, agreement: Agreement, name: str, stream: IO[bytes]
) -> AgreementVersion:
    """Store the signed PDF of the agreement's current version, content-addressed by SHA-256."""
    require(actor, Perm.PARTNERSHIP_MANAGE)
    limit = settings.ACCORD_MAX_DOCUMENT_BYTES
    digest = hashlib.sha256()
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(1 << 16):
        size += len(chunk)
        if size > limit:
            raise invalid(
                "document",
                f"the file is larger than {limit // (1024 * 1024)} MB.",
                f"A PDF of at most {limit // (1024 * 1024)} MB.",
            )
        digest.update(chunk)
        chunks.append(chunk)
    content = b"".join(chunks)
    if not content.startswith(PDF_MAGIC) or not name.lower().endswith(".pdf"):
        raise invalid("document", f"'{name}' is not a PDF document.", "A signed PDF (.pdf).")
    sha256 = digest.hexdigest()
    agreement = Agreement.objects.select_for_update(of=("self",)).select_related("current_version").get(pk=agreement.pk)
    version = agreement.current_version
    assert version is not None  # noqa: S101 - every agreement is created with a version
    path = f"agreements/{sha256}.pdf"
    if not default_storage.exists(path):
        path = default_storage.save(path, ContentFile(content))
    version.document.name = path
    version.document_name = name[-255:]
    version.document_sha256 = sha256
    version.document_size = size
    version.save(update_fields=["document", "document_name", "document_sha256", "document_size"])
    audit_record(
        actor=actor,
        action="agreement.document",
        obj=agreement,
        organisation=agreement.organisation,
        details={"version": version.number, "sha256": sha256, "size": size, "name": version.document_name},
    )
    return version
