"""What a database holds, read the same way from a backup's snapshot and from a restored database:
row counts, applied migrations, the audit chain's verdict, and the stored files its rows name."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import connections, models
from django.db.migrations.recorder import MigrationRecorder

from accord.core.audit import audit_verify
from accord.core.models import AuditChainHead

__all__ = ["KEY_TABLES", "chain_state", "migration_state", "stored_files", "table_counts"]

# The counts a person reads first (every table is counted and compared).
KEY_TABLES = {
    "core.organisation": "organisations",
    "core.user": "people",
    "partners.agreement": "agreements",
    "sharing.submission": "submissions",
    "sharing.stixobject": "shared objects",
    "sharing.observable": "observables",
    "core.auditevent": "audit events",
}


def _models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m._meta.managed and not m._meta.proxy]


def table_counts(using: str) -> dict[str, int]:
    """Rows of every model's table, by ``app_label.model``."""
    return {m._meta.label_lower: m._base_manager.using(using).count() for m in sorted(_models(), key=str)}


def migration_state(using: str) -> dict[str, list[str]]:
    """The migrations applied, by app."""
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connections[using]).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def chain_state(using: str) -> dict[str, Any]:
    """``accord audit verify``'s verdict on the chain, with its head."""
    head = AuditChainHead.objects.using(using).filter(id=1).first()
    return audit_verify(using=using).as_dict() | {
        "head_seq": head.last_seq if head else 0,
        "head_hash": head.last_hash if head else "",
    }


def stored_files(using: str) -> dict[str, set[str]]:
    """Storage names the rows refer to, by the ``STORAGES`` alias of the storage that holds them:
    every ``FileField`` (in ``default``), and what each app's ``stored_files(using)`` hook names
    (the content-addressed submissions, in ``raw``)."""
    names: dict[str, set[str]] = {"default": set()}
    for model in _models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                rows = model._base_manager.using(using).exclude(**{field.attname: ""})
                found = rows.filter(**{f"{field.attname}__isnull": False}).values_list(field.attname, flat=True)
                names["default"].update(found)
    for config in apps.get_app_configs():
        hook = getattr(config, "stored_files", None) if config.name.startswith("accord.") else None
        if hook is not None:
            for alias, named in hook(using).items():
                names.setdefault(alias, set()).update(named)
    return names
