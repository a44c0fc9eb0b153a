"""Starting an export: check the request, record it in the audit chain, hand back the stream.

``export_start`` is the one entry point the API, the UI and ``accord export`` share. It checks
the format, the filters (those of the objects list) and the purpose, records who exports what in
which format and how many objects matched — before a byte leaves — and returns the file as an
iterator of chunks that reads the store in batches while it is sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from accord.core.audit import audit_record
from accord.core.choices import Purpose
from accord.core.errors import NotFound
from accord.core.guards import flag, invalid, one_of, require
from accord.core.models import AuditEvent, Organisation, User
from accord.core.roles import Perm
from accord.exports import selectors
from accord.formats.choices import ObservableType
from accord.formats.writers import WRITERS, ExportMeta
from accord.policy import principal_context
from accord.sharing.filters import StixObjectFilter
from accord.sharing.services import personal_data_consulted

__all__ = ["CHUNK_BYTES", "Export", "export_params", "export_start"]

CHUNK_BYTES = 64 * 1024
OPTIONS = ("purpose", "observable_type", "show_suppressed")


@dataclass(frozen=True)
class Export:
    """A started export: what to call it, how many objects matched, and its bytes."""

    format: str
    media_type: str
    filename: str
    objects: int
    chunks: Iterator[bytes]


def export_params() -> list[str]:
    """Every query parameter an export takes: the objects-list filters, ``purpose``,
    ``observable_type`` and ``show_suppressed``."""
    return [*StixObjectFilter.base_filters, *OPTIONS]


def _query(params: Mapping[str, Any]) -> QueryDict:
    if isinstance(params, QueryDict):
        return params
    query = QueryDict(mutable=True)
    for key, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        query.setlist(key, [str(v) for v in values if v not in (None, "")])
    return query


def _buffered(chunks: Iterator[bytes], size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Writers yield small pieces; the network wants fewer, larger ones."""
    pending: list[bytes] = []
    length = 0
    for chunk in chunks:
        pending.append(chunk)
        length += len(chunk)
        if length >= size:
            yield b"".join(pending)
            pending, length = [], 0
    if pending:
        yield b"".join(pending)


def _audited(
    chunks: Iterator[bytes], *, actor: User, source: selectors.PolicyExportSource, started: AuditEvent
) -> Iterator[bytes]:
    """Pass the chunks on; when the last is sent (or the client goes away), record what left,
    and the personal data that left whole as consulted (by export)."""
    complete = False
    try:
        yield from chunks
        complete = True
    finally:
        audit_record(
            actor=actor,
            action="export.complete" if complete else "export.interrupted",
            object_type="sharing.stixobject",
            details={
                "export_event": started.seq,
                "format": started.details["format"],
                "objects": source.objects_written,
                "observables": source.observables_written,
                "left_out_as_benign": source.skipped_benign,
            },
        )
        personal_data_consulted(
            actor=actor,
            stix_ids=source.personal_objects,
            observable_ids=source.personal_observables,
            purpose=source.purpose,
            via="export",
            format=started.details["format"],
            export_event=started.seq,
        )


@transaction.atomic
def export_start(*, actor: User, format: str, params: Mapping[str, Any]) -> Export:  # noqa: A002 - the users' word
    """Check an export request, audit it, and return its stream (see the module docstring)."""
    require(actor, Perm.SHARING_READ)
    writer_class = WRITERS.get(format)
    if writer_class is None:
        formats = ", ".join(sorted(WRITERS))
        raise NotFound(
            f"format: there is no export format '{format}'; formats: {formats}.",
            code="unknown_format",
            details={"format": [f"One of: {formats}."], "formats": sorted(WRITERS)},
        )
    query = _query(params)
    known = export_params()
    for name in query:
        if name not in known:
            raise invalid(name, f"'{name}' is not an export parameter; parameters: {', '.join(known)}.")
    purpose = query.get("purpose") or Purpose.INVESTIGATION.value
    one_of("purpose", purpose, Purpose)
    types = sorted({t for t in query.getlist("observable_type") if t})
    for kind in types:
        one_of("observable_type", kind, ObservableType)
    if types and not writer_class.takes_observable_type:
        raise invalid("observable_type", f"the {format} export writes whole objects; it takes no observable_type.")
    unsupported = [t for t in types if t not in writer_class.observable_types]
    if unsupported:
        raise invalid(
            "observable_type",
            f"the {format} export cannot express {', '.join(unsupported)}; it takes "
            f"{', '.join(sorted(writer_class.observable_types))}.",
        )
    if format == "blocklist" and len(types) != 1:
        raise invalid("observable_type", "a blocklist is of one observable type: name exactly one, e.g. ipv4.")
    show_suppressed = flag("show_suppressed", query.get("show_suppressed"))
    if show_suppressed and not writer_class.detection:
        raise invalid(
            "show_suppressed", f"the {format} export leaves nothing out as known-benign: it has nothing to show."
        )
    filters = {name: values for name, values in query.lists() if name not in OPTIONS and any(values)}
    context = principal_context(actor)
    queryset = selectors.export_queryset(principal=actor, purpose=purpose, filters=query, context=context)
    count = queryset.count()
    started = audit_record(
        actor=actor,
        action="export",
        object_type="sharing.stixobject",
        details={
            "format": format,
            "purpose": purpose,
            "filters": filters,
            "observable_types": types,
            "objects_matched": count,
        },
    )
    now = timezone.now()
    host = Organisation.objects.filter(is_host=True).values_list("name", flat=True).first() or "Accord"
    meta = ExportMeta(
        generated_at=now,
        host=host,
        recipient=f"{actor.get_username()} ({actor.organisation.name})",
        purpose=purpose,
        filters={name: ",".join(values) for name, values in filters.items()},
        show_suppressed=show_suppressed,
    )
    source = selectors.PolicyExportSource(
        purpose=purpose, queryset=queryset, context=context, meta=meta, observable_types=types or None
    )
    writer = writer_class()
    kind = f"-{types[0]}" if format == "blocklist" else ""
    return Export(
        format=format,
        media_type=writer.media_type,
        filename=f"accord-{format}{kind}-{now:%Y%m%dT%H%M%SZ}.{writer.extension}",
        objects=count,
        chunks=_audited(_buffered(writer.write(source)), actor=actor, source=source, started=started),
    )
