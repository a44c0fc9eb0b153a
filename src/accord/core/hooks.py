"""The hooks through which core's commands reach the apps above it without importing them.

An app's ``AppConfig`` may define, with no arguments and returning nothing:

- ``initialise()``: what ``accord init`` creates for that app once the database is migrated and
  the hosting organisation exists (idempotent: ``init`` runs again on every upgrade);
- ``prepare_to_serve()``: what each ``accord serve`` worker loads before it takes requests;
- ``stored_files(using)``: the storage names that the app's rows in the database ``using`` refer
  to other than through a ``FileField``, by the ``STORAGES`` alias of the storage that holds
  them (``{"raw": {...}}``), which ``accord backup`` copies (``FileField`` values are found
  without a hook).

They run in ``INSTALLED_APPS`` order, as ``accord demo`` runs every app's ``demo.load()``.
"""

from __future__ import annotations

from django.apps import apps

__all__ = ["call_app_hooks"]


def call_app_hooks(name: str) -> None:
    """Call the hook ``name`` of every installed Accord app that defines one, in ``INSTALLED_APPS`` order."""
    for config in apps.get_app_configs():
        hook = getattr(config, name, None) if config.name.startswith("accord.") else None
        if hook is not None:
            hook()
