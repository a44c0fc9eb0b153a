"""Enrichment pages: observables one may see, one observable's enrichment results with a run
button per applicable enricher (analysts), and the configured enrichers. Thin: selectors read
through the policy, the enrichment services decide."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accord.analysis.benign import known_benign
from accord.core.choices import Purpose, Tlp
from accord.core.errors import ApplicationError, NotFound
from accord.core.roles import Perm, has_perm
from accord.core.ui import AuthedRequest, facts, found, paginate
from accord.enrichment import selectors
from accord.enrichment.enrichers import ENRICHERS
from accord.enrichment.filters import EnricherFilter
from accord.enrichment.models import Enricher
from accord.enrichment.services import enricher_problem, enricher_refusal, enricher_update, observable_enrich
from accord.sharing.filters import ObservableFilter
from accord.sharing.models import Observable
from accord.sharing.services import personal_data_consulted

__all__ = ["enricher_action", "enricher_list", "observable_enrichments", "observable_list"]

RESULTS_SHOWN = 50


@login_required
def observable_list(request: AuthedRequest) -> HttpResponse:
    """Observables mentioned by objects one may see, with how many enrichment results each has."""
    if not has_perm(request.user, Perm.SHARING_READ):
        raise PermissionDenied("Your role does not read shared data.")
    qs = selectors.observable_list_with_results(principal=request.user)
    filterset = ObservableFilter(request.GET, queryset=qs.order_by(F("seen_order").desc(), "-pk"))
    page, query = paginate(request, filterset.qs, capped=True)
    personal_data_consulted(actor=request.user, observables=page, purpose=Purpose.INVESTIGATION, via="web")
    return render(request, "enrichment/observable_list.html", {"filter": filterset, "page": page, "query": query})


def _tools(request: AuthedRequest, observable: Observable) -> list[dict[str, Any]]:
    """Every enabled enricher that takes this type, and why one may not be run on it now (the
    service's own refusal: the rule is the one a run would meet)."""
    tools = []
    for enricher in selectors.enricher_list(principal=request.user).filter(enabled=True):
        if observable.type not in enricher.types:
            continue
        reason = enricher_refusal(actor=request.user, enricher=enricher, observable=observable)
        if reason:
            reason = f"Nothing would be sent: {reason}"
        tools.append({"enricher": enricher, "reason": reason})
    return tools


@login_required
def observable_enrichments(request: AuthedRequest, pk: int) -> HttpResponse:
    """One observable's enrichment results; analysts run an applicable enricher (``POST``)."""
    observable = found(lambda: selectors.observable_get(principal=request.user, pk=pk))
    analyst = has_perm(request.user, Perm.ANALYSIS_WORK)
    if request.method == "POST":
        if not analyst:
            raise PermissionDenied("Analysts run enrichers.")
        try:
            enricher = selectors.enricher_get(principal=request.user, pk=request.POST.get("enricher", ""))
            result = observable_enrich(actor=request.user, observable=observable, enricher=enricher)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            if result.status == "ok":
                messages.success(request, f"{enricher.title or enricher.name} answered.")
            else:
                messages.error(request, f"{enricher.title or enricher.name} failed: {result.error}")
        if not request.htmx:
            return redirect("enrichment:observable-enrichments", pk=observable.pk)
    personal_data_consulted(actor=request.user, observables=[observable], purpose=Purpose.INVESTIGATION, via="web")
    tlp = selectors.observable_tlp(principal=request.user, observable=observable)
    # Each result carries what of its provenance the reader may have (``shown_tlp``…).
    results: list[Any] = list(selectors.enrichment_list(principal=request.user, observable=observable)[:RESULTS_SHOWN])
    context = {
        "observable": observable,
        "tlp": tlp,
        "tlp_label": Tlp(tlp).label if tlp else "",
        "tools": _tools(request, observable) if analyst else [],
        "results": [(r, facts(r.result), Tlp(r.shown_tlp).label if r.shown_tlp else "") for r in results],
        "host_staff": has_perm(request.user, Perm.ORGANISATION_VIEW_ALL),
        "known_benign": known_benign(observable.type, observable.value) or "",
    }
    template = "enrichment/_panel.html" if request.htmx else "enrichment/observable_enrichments.html"
    return render(request, template, context)


@login_required
def enricher_list(request: AuthedRequest) -> HttpResponse:
    """The configured enrichers (host staff: all; partners: the ones they provide)."""
    filterset = EnricherFilter(request.GET, queryset=selectors.enricher_list(principal=request.user))
    page, query = paginate(request, filterset.qs)
    rows = [(e, enricher_problem(e), getattr(ENRICHERS.get(e.kind), "offline", False)) for e in page]
    return render(
        request,
        "enrichment/enricher_list.html",
        {
            "filter": filterset,
            "page": page,
            "rows": rows,
            "query": query,
            "admin": has_perm(request.user, Perm.PLATFORM_ADMIN),
        },
    )


@login_required
@require_POST
def enricher_action(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    """Enable or disable an enricher (administrators)."""
    if not has_perm(request.user, Perm.PLATFORM_ADMIN):
        raise PermissionDenied("Enrichers are configured by platform administrators.")
    try:
        enricher: Enricher = selectors.enricher_get(principal=request.user, pk=pk)
        if action not in ("enable", "disable"):
            raise NotFound(f"Unknown action '{action}'.")
        enricher_update(actor=request.user, enricher=enricher, enabled=action == "enable")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Enricher {enricher.name} {action}d.")
    return redirect("enrichment:enricher-list")
