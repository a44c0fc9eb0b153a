"""``accord serve``: the web application under gunicorn."""

from __future__ import annotations

import gc
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.urls import get_resolver
from gunicorn.app.base import BaseApplication

from accord.wsgi import application


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return application


def _freeze_start_up(worker: Any) -> None:
    """Load the URL routes (and the views they import), then move everything the worker built
    while starting out of the garbage collector's sight: it lives as long as the process, and a
    full collection walking those few hundred thousand objects again cost the request it
    interrupted tens of milliseconds (a page of 1,000 TAXII objects allocates enough to trigger
    one every few pages)."""
    get_resolver().url_patterns  # noqa: B018 - loads the routes
    gc.freeze()


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
                "post_worker_init": _freeze_start_up,
            }
        ).run()
