"""What every log record carries about the work in hand: the request's id (``X-Request-ID``),
and the submission an ingest is working on, through context variables the log record factory
reads.

A context variable follows the code that runs for a request or a task, thread by thread; a
forked child (the ingest's reading process) starts with its parent's values.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import pythonjsonlogger.json

__all__ = [
    "JsonFormatter",
    "bound",
    "current_request_id",
    "forget_request_id",
    "install_record_factory",
    "request_id_from",
    "submission_id_var",
]

request_id_var: ContextVar[str | None] = ContextVar("accord_request_id", default=None)
submission_id_var: ContextVar[int | None] = ContextVar("accord_submission_id", default=None)

# An incoming id is taken as it is only when it looks like one (a UUID, a proxy's trace id):
# letters, digits and ``.-_:``, 8 to 64 of them. Anything else (spaces, newlines that would
# forge log lines, a megabyte) is replaced by a fresh one.
_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")


def request_id_from(header: str | None) -> str:
    """The request's id: the incoming ``X-Request-ID`` when well-formed, else a new one."""
    if header and _WELL_FORMED.fullmatch(header):
        return header
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


@contextmanager
def bound(var: ContextVar[int | None], value: int) -> Iterator[None]:
    """``var`` set to ``value`` for the ``with`` block (a submission's id while it is ingested)."""
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)


def forget_request_id(**kwargs: Any) -> None:
    """``request_finished`` receiver: records after the request carry no id of it."""
    request_id_var.set(None)


def install_record_factory() -> None:
    """Every log record, of any logger, carries ``request_id`` and ``submission_id`` (``None``
    outside of a request or an ingest), for the JSON formatter and for any format that names
    them. Installed once, when the core app is ready."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "accord_context", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = request_id_var.get()
        record.submission_id = submission_id_var.get()
        return record

    factory.accord_context = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class JsonFormatter(pythonjsonlogger.json.JsonFormatter):
    """python-json-logger's formatter without the ``request`` Django's loggers attach: its text
    holds the whole path and query string, which the logs must not carry."""

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data.pop("request", None)
