"""``accord serve``: the web application under gunicorn."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.urls import get_resolver
from django.utils.module_loading import import_string
from gunicorn.app.base import BaseApplication
from prometheus_client import multiprocess

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


def _worker_exited(server: Any, worker: Any) -> None:
    """A worker's live gauges leave /metrics with it (its counters stay in the sums)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clear_dead_metrics() -> list[Path]:
    """Remove the metrics files of processes that no longer run (an earlier server's), keeping
    those of live ones (``accord worker`` writes there too); return what was removed."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return []
    removed = []
    for path in Path(directory).glob("*.db"):
        pid = path.stem.rpartition("_")[2]
        if not pid.isdigit() or not _alive(int(pid)):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _die_with_parent() -> None:
    """In the worker's process, before it runs: Linux ends it when the server dies, even by
    SIGKILL, so that no worker outlives its server."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


PR_SET_PDEATHSIG = 1


class _BackgroundWorker:
    """``accord worker`` beside the web workers, started again if it stops, and stopped with
    the server: on one machine, ``accord serve`` is all that runs."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        self.lock = threading.Lock()  # a worker is started, or the whole stopped, never both at once

    def start(self, server: Any) -> None:
        threading.Thread(target=self._keep, args=(server.log,), daemon=True, name="accord-worker").start()

    def _keep(self, log: Any) -> None:
        pause = 5.0
        while True:
            with self.lock:
                if self.stopping.is_set():
                    return
                self.process = subprocess.Popen(  # noqa: S603 - our own command
                    [sys.executable, "-m", "accord.cli", "worker"], preexec_fn=_die_with_parent
                )
            log.info("Started accord worker (pid %s)", self.process.pid)
            began = time.monotonic()
            code = self.process.wait()
            if self.stopping.is_set():
                return
            pause = 5.0 if time.monotonic() - began > 300 else min(pause * 2, 300.0)  # a crash loop slows down
            log.warning("accord worker stopped (exit %s); starting it again in %.0f s", code, pause)
            self.stopping.wait(pause)

    def stop(self, server: Any) -> None:
        with self.lock:
            self.stopping.set()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


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
    help = (
        "Serve Accord with gunicorn (default http://127.0.0.1:8000), and `accord worker` beside it for "
        "background work unless --no-worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=3)
        parser.add_argument("--timeout", type=int, default=120, help="Seconds before a silent worker is restarted.")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not start `accord worker` beside the web workers (it runs elsewhere: another process or host).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        clear_dead_metrics()
        config: dict[str, Any] = {
            "bind": f"{options['host']}:{options['port']}",
            "workers": options["workers"],
            "timeout": options["timeout"],
            # Accord's own access line (accord.access: route names, request ids) replaces
            # gunicorn's, which writes raw paths and query strings: never on.
            "accesslog": None,
            "errorlog": "-",
            "post_worker_init": _prepare_worker,
            "child_exit": _worker_exited,
        }
        if not options["no_worker"]:
            background = _BackgroundWorker()
            config |= {"when_ready": background.start, "on_exit": background.stop}
        _Gunicorn(config).run()
