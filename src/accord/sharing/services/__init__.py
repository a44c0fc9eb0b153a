"""Every change to the shared-object store: submissions and their ingest, object by object.

``submission_create`` stores the raw bytes (content-addressed by SHA-256) and records the
submission; ``submission_process`` reads it with the format's reader and writes, in one
transaction, every object that is valid and permitted by the agreement, with its observables
and links, and a refusal (where, which field, why) for each that is not. A file that cannot be
read at all, and a ``strict`` submission with any refusal, leave the store exactly as it was; so
does a crash or a kill at any point (see :mod:`accord.sharing.store`).
"""

from __future__ import annotations

from accord.sharing.services.categories import category_of
from accord.sharing.services.consultation import personal_data_consulted
from accord.sharing.services.freetext import freetext_commit, freetext_problems
from accord.sharing.services.ingest import READ_BATCH as READ_BATCH  # read here; patch it in .ingest
from accord.sharing.services.ingest import minting_namespace, submission_process
from accord.sharing.services.objects import (
    host_product,
    host_product_publish,
    object_address,
    object_restore,
    object_retention_extend,
    object_revoke,
    retention_purge,
)
from accord.sharing.services.submissions import STALE_AFTER as STALE_AFTER  # read here; patch it in .submissions
from accord.sharing.services.submissions import (
    submission_create,
    submission_run,
    submission_runs_in_request,
    submission_start,
    submissions_recover,
)
from accord.sharing.services.visibility import (
    Scope,
    visibility_publish,
    visibility_published,
    visibility_watch,
    visibility_windows_pass,
)

__all__ = [
    "Scope",
    "category_of",
    "freetext_commit",
    "freetext_problems",
    "host_product",
    "host_product_publish",
    "minting_namespace",
    "object_address",
    "object_restore",
    "object_retention_extend",
    "object_revoke",
    "personal_data_consulted",
    "retention_purge",
    "submission_create",
    "submission_process",
    "submission_run",
    "submission_runs_in_request",
    "submission_start",
    "submissions_recover",
    "visibility_publish",
    "visibility_published",
    "visibility_watch",
    "visibility_windows_pass",
]
