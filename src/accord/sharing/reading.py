"""Reading a submission beside writing it, on another core.

Parsing, validating and normalising a large submission costs about as much as writing it, and
the two do not depend on each other batch by batch. So for large submissions the reading runs
in a child process forked for the purpose: it sends ready-made batches down a pipe (whose
buffer bounds what is in flight), the ingest writes them as they come. The child never touches
the database. If the ingest stops early, fails or is killed, the child is killed or finds the
pipe closed and exits. Small submissions are read in the same process, where forking would
cost more than it saves.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from typing import Any

__all__ = ["ReadingFailed", "read_batches"]

AHEAD = 8  # batches taken off the pipe and not yet written

Produce = Callable[[Callable[[int], None]], Iterator[list[Any]]]


class ReadingFailed(RuntimeError):
    """The reading process failed unexpectedly (not a problem with the data: those are errors
    in the batches)."""


def read_batches(produce: Produce, progress: Callable[[int], None], *, parallel: bool) -> Iterator[list[Any]]:
    """The batches ``produce(progress)`` yields, produced in a child process when ``parallel``.

    A thread takes batches off the pipe as they come and holds up to ``AHEAD`` of them, so the
    child reads on while the caller writes (the pipe alone holds less than one batch, and the two
    would take turns instead of working at once). It moves them as bytes: unpickled there, a
    batch held the interpreter lock for milliseconds while the writing thread, back from each
    row SQLite wrote without the lock, waited for it; the caller's thread unpickles instead.
    """
    if not parallel:
        yield from produce(progress)
        return
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(produce, sender, receiver), daemon=True, name="accord-reader")
    child.start()
    sender.close()
    inbox: queue.Queue[bytes | None] = queue.Queue(maxsize=AHEAD)
    stop = threading.Event()
    taker = threading.Thread(target=_take, args=(receiver, inbox, stop), daemon=True, name="accord-reader-pipe")
    taker.start()
    try:
        while True:
            message = inbox.get()
            if message is None:
                child.join()
                raise ReadingFailed(f"the reading process ended without a word (exit code {child.exitcode})")
            kind, payload = _message(message)
            if kind == "batch":
                yield payload
            elif kind == "progress":
                progress(payload)
            elif kind == "crash":
                raise ReadingFailed(payload)
            else:
                return
    finally:
        stop.set()
        if child.is_alive():
            child.kill()  # its end of the pipe closes: the taker's recv ends
        child.join()
        taker.join()
        receiver.close()


def _message(data: bytes) -> tuple[str, Any]:
    """A message as the child sent it: ``(kind, payload)``."""
    kind, payload = ForkingPickler.loads(data)
    return kind, payload


def _take(receiver: Connection, inbox: queue.Queue[bytes | None], stop: threading.Event) -> None:
    """Move messages, still pickled, from the pipe to ``inbox`` until the pipe closes (the
    child ended or died: ``None``) or ``stop``."""
    while not stop.is_set():
        try:
            message: bytes | None = receiver.recv_bytes()
        except (EOFError, OSError):
            message = None
        while not stop.is_set():
            try:
                inbox.put(message, timeout=0.1)
                break
            except queue.Full:
                continue
        if message is None:
            return


def _child(produce: Produce, sender: Connection, receiver: Connection) -> None:
    receiver.close()  # the parent's end: once the parent is gone, sending fails and we stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        for batch in produce(lambda percent: sender.send(("progress", percent))):
            sender.send(("batch", batch))
        sender.send(("end", None))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the ingest stopped listening: it has what it needs, or it is gone
    except BaseException:  # noqa: BLE001 - reported to the parent, which fails the submission
        sender.send(("crash", traceback.format_exc(limit=8)))
