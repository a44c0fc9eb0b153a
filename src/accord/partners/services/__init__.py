"""Every change to partnerships: applications and vetting, agreements and their lifecycle,
and the organisation status that follows from them.

Keyword-only, atomic, role-checked, audited. API, UI, CLI and scheduled jobs call these.

One module per sub-domain: ``applications`` (applications and vetting), ``terms`` (an agreement's
terms and window), ``agreements`` (drafting, amending, the signed document), ``host_data`` (the
hosting organisation's data agreement), ``lifecycle`` (agreements in force, suspended, ended, and
the organisation status that follows); ``_common`` numbers references.
"""

from accord.partners.services._common import _create_numbered as _create_numbered
from accord.partners.services.agreements import PDF_MAGIC as PDF_MAGIC
from accord.partners.services.agreements import agreement_amend, agreement_attach_document, agreement_create
from accord.partners.services.applications import (
    application_check,
    application_comment,
    application_submit,
    application_transition,
)
from accord.partners.services.applications import invitation_link as invitation_link
from accord.partners.services.host_data import HOST_DATA_TERMS as HOST_DATA_TERMS
from accord.partners.services.host_data import HOST_DATA_TITLE as HOST_DATA_TITLE
from accord.partners.services.host_data import host_data_agreement_ensure
from accord.partners.services.lifecycle import (
    agreement_activate,
    agreement_suspend,
    agreement_terminate,
    agreements_sweep,
    organisation_reinstate,
    organisation_suspend,
    organisation_sync_status,
    organisation_terminate,
)
from accord.partners.services.terms import DATA_SHARING_LISTS as DATA_SHARING_LISTS
from accord.partners.services.terms import DATA_SHARING_TERMS
from accord.partners.services.terms import TERM_FIELDS as TERM_FIELDS

__all__ = [
    "DATA_SHARING_TERMS",
    "agreement_activate",
    "agreement_amend",
    "agreement_attach_document",
    "agreement_create",
    "agreement_suspend",
    "agreement_terminate",
    "agreements_sweep",
    "host_data_agreement_ensure",
    "application_check",
    "application_comment",
    "application_submit",
    "application_transition",
    "organisation_reinstate",
    "organisation_suspend",
    "organisation_sync_status",
    "organisation_terminate",
]
