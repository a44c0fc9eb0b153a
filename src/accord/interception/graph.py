"""The chain of accounts of one case as a graph, rendered on the server as SVG (no script, no
CDN): each request a box (the account, its institution, what was reported), each onward transfer
an arrow labelled with its amount and time. Only the requests the reader sees are drawn."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accord.interception.models import InterceptionRequest

__all__ = ["chain_svg"]

_W, _H, _GAP_X, _GAP_Y = 250, 96, 70, 24
_REPORTED = {
    "frozen": "frozen",
    "recalled": "recalled",
    "gone": "gone on",
    "closed": "closed",
    "nothing_found": "nothing",
}


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def _short(text: str, most: int = 34) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _depths(requests: list[InterceptionRequest]) -> dict[int, int]:
    by_pk = {r.pk: r for r in requests}
    depth: dict[int, int] = {}

    def of(request: InterceptionRequest) -> int:
        if request.pk not in depth:
            parent = by_pk.get(request.parent_id) if request.parent_id else None
            depth[request.pk] = of(parent) + 1 if parent is not None else 0
        return depth[request.pk]

    for request in requests:
        of(request)
    return depth


def chain_svg(requests: list[InterceptionRequest], *, current: InterceptionRequest | None = None) -> SafeString:
    """An ``<svg>`` of ``requests`` (one chain, in the order raised), ``current`` highlighted."""
    if not requests:
        return mark_safe("")  # noqa: S308 - an empty string
    depth = _depths(requests)
    rows: dict[int, int] = defaultdict(int)
    place: dict[int, tuple[int, int]] = {}
    for request in requests:
        column = depth[request.pk]
        place[request.pk] = (column * (_W + _GAP_X) + 10, rows[column] * (_H + _GAP_Y) + 10)
        rows[column] += 1
    width = (max(depth.values()) + 1) * (_W + _GAP_X) - _GAP_X + 20
    height = max(rows.values()) * (_H + _GAP_Y) - _GAP_Y + 20
    parts = [
        f'<svg class="chain" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="Chain of accounts: {len(requests)} request(s)">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
    ]
    for request in requests:
        if request.parent_id in place:
            px, py = place[request.parent_id]
            x, y = place[request.pk]
            x1, y1, x2, y2 = px + _W, py + _H // 2, x, y + _H // 2
            label = f"{_money(request.amount, request.currency)} · {request.transferred_at:%Y-%m-%d %H:%M}"
            parts.append(
                f'<path d="M{x1},{y1} C{x1 + 35},{y1} {x2 - 35},{y2} {x2},{y2}" fill="none" stroke="#555" '
                'stroke-width="1.5" marker-end="url(#arrow)"/>'
            )
            parts.append(
                f'<text x="{(x1 + x2) // 2}" y="{(y1 + y2) // 2 - 6}" font-size="9" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    for request in requests:
        x, y = place[request.pk]
        stroke = "#0a5" if current is not None and request.pk == current.pk else "#345"
        width_px = 3 if current is not None and request.pk == current.pk else 1.5
        reported = ", ".join(
            f"{_REPORTED.get(o.kind, o.kind)}{' ' + _money(o.amount, o.currency) if o.amount is not None else ''}"
            for o in request.outcomes.all()
        )
        lines = [
            (f"{request.reference} · {request.get_status_display()}", "bold"),
            (_short(request.beneficiary), ""),
            (_short(f"to {request.addressee.name}"), ""),
            (f"{_money(request.amount, request.currency)} · sent {request.transferred_at:%m-%d %H:%M}", ""),
            (_short(reported or "no outcome yet", 40), "italic"),
        ]
        parts.append(
            f'<g><rect x="{x}" y="{y}" width="{_W}" height="{_H}" rx="6" fill="#fff" stroke="{stroke}" '
            f'stroke-width="{width_px}"/>'
        )
        for i, (text, style) in enumerate(lines):
            weight = ' font-weight="bold"' if style == "bold" else ""
            italic = ' font-style="italic"' if style == "italic" else ""
            parts.append(
                f'<text x="{x + 8}" y="{y + 17 + i * 17}" font-size="11"{weight}{italic}>{escape(text)}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text escaped above
