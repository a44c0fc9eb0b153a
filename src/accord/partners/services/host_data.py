"""The hosting organisation's data agreement: the handling rules of its own open and internal
data sets, recorded as a data-sharing agreement it holds."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accord.core.choices import DataCategory, OrganisationKind, Purpose, Region, Tlp
from accord.core.models import Organisation
from accord.partners.choices import AGREEMENT_PREFIX, AgreementKind, AgreementStatus
from accord.partners.models import Agreement
from accord.partners.services._common import _create_numbered
from accord.partners.services.terms import _clean_terms, _first_version

__all__ = [
    "HOST_DATA_TERMS",
    "HOST_DATA_TITLE",
    "host_data_agreement_ensure",
]


# The hosting organisation's handling rules for its own open and internal data sets, unless
# ``ACCORD_HOST_DATA_TERMS`` says otherwise: every purpose and category; AMBER by default, up to
# RED; shared onward to law enforcement and international organisations in every region, with
# personal data withheld from them; kept a year.
HOST_DATA_TERMS: dict[str, Any] = {
    "encrypt_in_transit": "must",
    "permitted_actions": "internally-visible-actions",
    "affected_party_notifications": "may",
    "iep_tlp": Tlp.AMBER.value,
    "provider_attribution": "may",
    "unmodified_resale": "must-not",
    "encrypt_at_rest": "must",
    "obfuscate_affected_parties": "may",
    "pap": "green",
    "data_categories": list(DataCategory.values),
    "purposes": list(Purpose.values),
    "tlp_ceiling": Tlp.RED.value,
    "default_tlp": Tlp.AMBER.value,
    "onward_kinds": [OrganisationKind.LAW_ENFORCEMENT.value, OrganisationKind.INTERNATIONAL_ORG.value],
    "onward_regions": list(Region.values),
    "onward_redactions": [DataCategory.PERSONAL_DATA.value],
    "retention_days": 365,
}
HOST_DATA_TITLE = "Internal and open data sets of the hosting organisation"


@transaction.atomic
def host_data_agreement_ensure(*, host: Organisation | None = None) -> Agreement | None:
    """The hosting organisation's internal-data terms: the handling rules (TLP, purposes,
    onward sharing, retention) of the open and internal data sets its own analysts load, recorded
    as a data-sharing agreement the host holds, so that ingest, the policy and every export read
    them as they read a partner's. Not a partnership (the host signs nothing with itself):
    created on first call from :data:`HOST_DATA_TERMS` and ``ACCORD_HOST_DATA_TERMS``
    (``accord init``, the host's first import), then amended like any agreement; idempotent.
    ``None`` when there is no hosting organisation yet."""
    host = host or Organisation.objects.filter(is_host=True).first()
    if host is None:
        return None
    existing = (
        Agreement.objects.select_for_update(of=("self",))
        .filter(organisation=host, kind=AgreementKind.DATA_SHARING)
        .select_related("current_version")
        .order_by("-pk")
        .first()
    )
    if existing is not None:
        return existing
    terms = _clean_terms(AgreementKind.DATA_SHARING, HOST_DATA_TERMS | dict(settings.ACCORD_HOST_DATA_TERMS))
    now = timezone.now()
    agreement = _create_numbered(
        Agreement,
        AGREEMENT_PREFIX[AgreementKind.DATA_SHARING],
        organisation=host,
        kind=AgreementKind.DATA_SHARING,
        title=HOST_DATA_TITLE,
        status=AgreementStatus.ACTIVE,
        status_changed_at=now,
    )
    note = "Recorded for the host's own data sets."
    _first_version(agreement, actor=None, kind="host_data", valid_from=now, change_note=note, **terms)
    return agreement
