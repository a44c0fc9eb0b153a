"""One node of a campaign graph expanded: what lies next to it beyond the campaign, as far as the
asker may see (``GET /api/v1/campaigns/<id>/graph/?expand=<node>``, the graph's *Expand*).

An observable's neighbours are the objects the asker may view that mention it through a link it
may learn (not :func:`accord.policy.withheld_links`); an object's are the observables it mentions
that the asker may learn. Nodes and edges have the shape of
:func:`accord.analysis.selectors.campaign_graph`, so the page adds them to the drawing as they are."""

from __future__ import annotations

from typing import Any

from accord.core.errors import NotFound, ValidationFailed
from accord.core.models import User
from accord.core.public_ids import encode, parse
from accord.policy import Action, principal_context, visible, withheld_links
from accord.sharing.models import ObjectObservable, StixObject
from accord.sharing.selectors import object_rows

__all__ = ["NEIGHBOURS_SHOWN", "graph_neighbours"]

NEIGHBOURS_SHOWN = 25


def _node(text: str) -> tuple[str, int]:
    kind, _, number = text.partition(":")
    row = parse(number) if kind in {"object", "observable"} else None
    if row is None:
        raise ValidationFailed(
            f"expand: '{text[:80]}' is not a node of the graph (object:<id> or observable:<id>).",
            details={"expand": ["object:<id> or observable:<id>, as the graph names its nodes."]},
        )
    return kind, int(row)


def graph_neighbours(*, principal: User, node: str, limit: int = NEIGHBOURS_SHOWN) -> dict[str, Any]:
    """The neighbours of ``node`` (``object:<id>`` or ``observable:<id>``, public ids as the graph
    gives them), the first ``limit``: ``{"expanded", "nodes", "edges", "truncated"}``. A node the
    asker may not see, or that has no neighbour it may see, is the same 404 as a missing one."""
    kind, pk = _node(node)
    ctx = principal_context(principal)
    viewable = visible(ctx, StixObject.objects.all(), Action.VIEW)
    links = ObjectObservable.objects.exclude(withheld_links(ctx)).filter(stix_object__in=viewable.values("pk"))
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, str]] = []
    if kind == "observable":
        object_ids = list(
            links.filter(observable_id=pk)
            .order_by("-stix_object_id")
            .values_list("stix_object_id", flat=True)[: limit + 1]
        )
        rows = object_rows(principal=principal, objects=viewable.filter(pk__in=object_ids[:limit]), context=ctx)
        for row in rows:
            obj = row.obj
            nodes.append(
                {
                    "id": f"object:{encode(obj.pk)}",
                    "kind": "object",
                    "stix_id": obj.stix_id,
                    "type": obj.type,
                    "label": row.label,
                    "organisation": row.source,
                    "tlp": obj.tlp,
                    "created": obj.created.isoformat(),
                }
            )
            edges.append({"source": f"object:{encode(obj.pk)}", "target": node})
        truncated = len(object_ids) > limit
    else:
        if not viewable.filter(pk=pk).exists():
            raise NotFound(f"No node {node} in a graph you may see.")
        found = list(
            links.filter(stix_object_id=pk)
            .order_by("observable__type", "observable__value")
            .values_list("observable_id", "observable__type", "observable__value")[: limit + 1]
        )
        for observable, observable_type, value in found[:limit]:
            target = f"observable:{encode(observable)}"
            nodes.append({"id": target, "kind": "observable", "type": observable_type, "label": value})
            edges.append({"source": node, "target": target})
        truncated = len(found) > limit
    if not nodes:
        raise NotFound(f"No node {node} in a graph you may see.")
    return {"expanded": node, "nodes": nodes, "edges": edges, "truncated": truncated}
