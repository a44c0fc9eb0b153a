"""``accord serve``: the web application under gunicorn."""

from __future__ import annotations

import gc
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.urls import get_resolver
from django.utils.module_loading import import_string
from gunicorn.app.base import BaseApplication

from accord.core.hooks import call_app_hooks
from accord.wsgi import application


def _prepare_worker(worker: Any) -> None:
    """What every worker would otherwise load on its first requests, loaded before it takes
    any: the URL configuration (every app's views), the after-ingest tasks and what the store
    listeners consult (the warning lists), so that no partner's request or submission pays it.

    Then everything the worker built while starting moves out of the garbage collector's
    sight: it lives as long as the process, and a full collection walking those few hundred
    thousand objects again cost the request it interrupted tens of milliseconds (a page of
    1,000 TAXII objects allocates enough to trigger one every few pages)."""
    get_resolver().url_patterns  # noqa: B018 - imports every app's URL configuration and views
    for path in settings.ACCORD_AFTER_INGEST:
        import_string(path)
    call_app_hooks("prepare_to_serve")  # what the store listeners consult, among others
    gc.freeze()


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return application


class Command(BaseCommand):
    help = "Serve Accord with gunicorn (default http://127.0.0.1:8000)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=3)
        parser.add_argument("--timeout", type=int, default=120, help="Seconds before a silent worker is restarted.")

    def handle(self, *args: Any, **options: Any) -> None:
        _Gunicorn(
            {
                "bind": f"{options['host']}:{options['port']}",
                "workers": options["workers"],
                "timeout": options["timeout"],
                "accesslog": "-",
                "errorlog": "-",
                "post_worker_init": _prepare_worker,
            }
        ).run()
