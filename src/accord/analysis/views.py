"""The analyst workbench: correlations, campaigns (with their graph), exclusion lists, trends and
intelligence reports. Thin: the selectors read through the policy (a partner sees only what they
give it), the services decide and their errors land next to the field they name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accord.analysis import campaign_reads, selectors, services
from accord.analysis.charts import trend_series
from accord.analysis.filters import CampaignFilter, CorrelationFilter
from accord.analysis.forms import (
    CampaignForm,
    CampaignMergeForm,
    CampaignNoteForm,
    CampaignSplitForm,
    ExclusionEntryForm,
    ExclusionListForm,
    IntelReportForm,
)
from accord.analysis.models import Campaign, Correlation, ExclusionList, IntelReport
from accord.analysis.reports import report_bundle, report_check
from accord.analysis.scoring import SIGHTING_WEIGHT, observable_score
from accord.analysis.search import value_search
from accord.analysis.taxonomy import europol_label
from accord.analysis.warninglists import index
from accord.core.choices import Purpose
from accord.core.errors import ApplicationError, NotFound
from accord.core.public_ids import parse
from accord.core.replicas import replica_reads
from accord.core.roles import Perm, has_perm
from accord.core.ui import AuthedRequest, facts, found, listing, paginate
from accord.policy import principal_context
from accord.sharing.selectors import objects_by_id
from accord.sharing.services import personal_data_consulted

__all__ = [
    "analysis_home",
    "search",
    "campaign_detail",
    "campaign_list",
    "correlation_detail",
    "correlation_list",
    "exclusion_entry_remove",
    "exclusion_list_delete",
    "exclusion_lists",
    "report_detail",
    "report_edit",
    "report_list",
    "report_print",
    "trends",
]

SIGHTINGS_SHOWN = 50
NAMED_SHOWN = 500
CHOICES_SHOWN = 200


def _reader(request: AuthedRequest) -> None:
    if not has_perm(request.user, Perm.SHARING_READ):
        raise PermissionDenied("Your role does not read shared data.")


def _analyst(request: AuthedRequest) -> None:
    if not has_perm(request.user, Perm.ANALYSIS_WORK):
        raise PermissionDenied("Analysts only.")


def _attempt(form: forms.Form, call: Callable[[], Any]) -> bool:
    """Call a service; its error goes next to the field it names (``"field: message"``), or
    above the form when it names none."""
    try:
        call()
    except ApplicationError as exc:
        named = list(exc.details) if isinstance(exc.details, dict) else []
        prefix, _, rest = exc.message.partition(": ")
        field = next((name for name in [*named, prefix] if name in form.fields), None)
        if field is None:
            form.add_error(None, exc.message)
        else:
            form.add_error(field, rest if prefix == field and rest else exc.message)
        return False
    return True


@login_required
def search(request: AuthedRequest) -> HttpResponse:
    """Find a value (``?q=``): paste it as it comes, defanged or in a sentence; each value the
    text names, and whether you may see anything of it (its page: who reported it, campaigns)."""
    _reader(request)
    text = request.GET.get("q", "")
    found: dict[str, Any] = {"values": [], "read": ""}
    if text.strip():
        found = value_search(principal=request.user, text=text)
    observables = [observable for _, _, observable in found["values"] if observable is not None]
    personal_data_consulted(actor=request.user, observables=observables, purpose=Purpose.INVESTIGATION, via="web")
    return render(request, "analysis/search.html", {"q": text, **found})


@login_required
def analysis_home(request: AuthedRequest) -> HttpResponse:
    """The workbench starts at the correlations."""
    return redirect("analysis:correlation-list")


# -- correlations -------------------------------------------------------------------------------


@login_required
@replica_reads
def correlation_list(request: AuthedRequest) -> HttpResponse:
    """Observables that correlate: host staff all of them (known-benign ones flagged), a partner
    its own values that another source it may see mentions."""
    _reader(request)
    host = principal_context(request.user).is_host
    filterset = CorrelationFilter(request.GET, queryset=selectors.correlation_list(principal=request.user))
    page, query = paginate(request, filterset.qs, capped=True)
    personal_data_consulted(
        actor=request.user, observables=[row.observable for row in page], purpose=Purpose.INVESTIGATION, via="web"
    )
    return render(
        request, "analysis/correlation_list.html", {"filter": filterset, "page": page, "query": query, "host": host}
    )


@login_required
def correlation_detail(request: AuthedRequest, observable_id: int) -> HttpResponse:
    """Who else reported one observable (as far as one may know), its known-benign flag, its
    confidence score with what made it, its sightings and campaigns."""
    _reader(request)
    detail = found(lambda: selectors.correlation_detail(principal=request.user, observable_id=observable_id))
    observable = detail["observable"]
    personal_data_consulted(actor=request.user, observables=[observable], purpose=Purpose.INVESTIGATION, via="web")
    ctx = principal_context(request.user)
    sightings = [
        (s, selectors.may_name_sighter(ctx, s))
        for s in selectors.sighting_list(principal=request.user).filter(observable=observable)[:SIGHTINGS_SHOWN]
    ]
    campaigns = selectors.campaign_list(principal=request.user).filter(pk__in=detail["campaigns"])
    context = {
        **detail,
        "score": observable_score(principal=request.user, observable=observable),
        "sighting_weight": SIGHTING_WEIGHT,
        "sightings": sightings,
        "campaign_rows": campaigns,
        "correlation": Correlation.objects.filter(pk=observable.pk).first() if ctx.is_host else None,
        "host": ctx.is_host,
    }
    return render(request, "analysis/correlation_detail.html", context)


# -- campaigns --------------------------------------------------------------------------------------


@login_required
@replica_reads
def campaign_list(request: AuthedRequest) -> HttpResponse:
    """Campaigns one sees something of, filtered and paged."""
    _reader(request)
    filterset = CampaignFilter(request.GET, queryset=selectors.campaign_list(principal=request.user))
    host = principal_context(request.user).is_host
    return listing(
        request,
        "analysis/campaign_list.html",
        filterset,
        capped=True,
        host=host,
        seen_cap=campaign_reads.SEEN_COUNT_CAP,
    )


def _campaign_forms(
    request: AuthedRequest, campaign: Campaign, graph: dict[str, Any], data: Any = None, op: str = ""
) -> dict[str, forms.Form]:
    """The analyst's forms on a campaign page; the one posted (``op``) is bound to ``data``. The
    split form offers the observables joining the page's members (``graph``)."""
    others = [
        (c.pk, f"#{c.pk} {c.name}")
        for c in selectors.campaign_list(principal=request.user).exclude(pk=campaign.pk)[:CHOICES_SHOWN]
    ]
    observables = [
        (int(n["id"].split(":")[1]), f"{n['type']} {n['label']}") for n in graph["nodes"] if n["kind"] == "observable"
    ]
    return {
        "edit": CampaignForm(
            data if op == "edit" else None, initial={"name": campaign.name, "description": campaign.description}
        ),
        "note": CampaignNoteForm(data if op == "note" else None),
        "merge": CampaignMergeForm(data if op == "merge" else None, others=others, prefix="merge"),
        "split": CampaignSplitForm(data if op == "split" else None, observables=observables, prefix="split"),
    }


def _campaign_change(request: AuthedRequest, campaign: Campaign, op: str, form: forms.Form) -> tuple[bool, Any]:
    """Run the service an analyst's form asks for: whether it went through, and where to go next."""
    data = form.cleaned_data
    target: list[Any] = [campaign.pk]
    calls: dict[str, tuple[Callable[[], Any], str]] = {
        "edit": (
            lambda: services.campaign_update(
                actor=request.user, campaign=campaign, name=data["name"], description=data["description"]
            ),
            "Campaign saved.",
        ),
        "note": (
            lambda: services.campaign_annotate(actor=request.user, campaign=campaign, text=data["text"]),
            "Noted.",
        ),
        "merge": (
            lambda: target.__setitem__(
                0,
                services.campaign_merge(
                    actor=request.user,
                    campaign_ids=[campaign.pk, *map(int, data["campaigns"])],
                    reason=data["reason"],
                ).pk,
            ),
            "Campaigns merged.",
        ),
        "split": (
            lambda: services.campaign_split(
                actor=request.user,
                campaign=campaign,
                observable_ids=[parse(pk) for pk in data["observables"]],  # public ids, as the graph names them
                reason=data["reason"],
            ),
            "Campaign split.",
        ),
    }
    call, success = calls[op]
    if not _attempt(form, call):
        return False, None
    messages.success(request, success)
    return True, target[0]


@login_required
def campaign_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """A campaign: what one sees of it, its notes and graph; analysts name, annotate, merge and
    split it here (``POST`` with ``op``)."""
    _reader(request)
    campaign_found = found(lambda: selectors.campaign_get(principal=request.user, pk=pk))
    # a partner's own campaign (selectors.campaign_list) is read-only: analysts work on stored ones
    analyst = has_perm(request.user, Perm.ANALYSIS_WORK) and isinstance(campaign_found, Campaign)
    campaign: Any = campaign_found
    op = request.POST.get("op", "") if request.method == "POST" else ""
    if request.method == "POST":
        _analyst(request)
        if op not in {"edit", "note", "merge", "split"}:
            raise Http404("Unknown action.")
    # one page of its members, walked from a position (``after``, a member's public id), and the
    # observables joining them: never all of a large campaign's members
    after = parse(request.GET["after"]) if request.GET.get("after") else None
    graph = selectors.campaign_graph(
        principal=request.user, campaign=campaign, limit=campaign_reads.MEMBERS_SHOWN, after=after
    )
    services.campaign_graph_consulted(actor=request.user, graph=graph, via="web")  # the page names them
    forms_ = _campaign_forms(request, campaign, graph, request.POST, op) if analyst else {}
    if op:
        form = forms_[op]
        if form.is_valid():
            done, target = _campaign_change(request, campaign, op, form)
            if done:
                if not selectors.campaign_list(principal=request.user).filter(pk=target).exists():
                    return redirect("analysis:campaign-list")
                return redirect("analysis:campaign-detail", pk=target)
    context = {
        "campaign": campaign,
        "notes": campaign.notes.select_related("author") if isinstance(campaign_found, Campaign) else (),
        "host": principal_context(request.user).is_host,
        "analyst": analyst,
        "forms": forms_,
        "reports": campaign.reports.all() if analyst else [],
        "members": [n for n in graph["nodes"] if n["kind"] == "object"],
        "joining": [n for n in graph["nodes"] if n["kind"] == "observable"],
        "next_members": graph["next"],
        "seen_cap": campaign_reads.SEEN_COUNT_CAP,
    }
    return render(request, "analysis/campaign_detail.html", context, status=400 if op else 200)


# -- exclusion lists --------------------------------------------------------------------------------


@login_required
def exclusion_lists(request: AuthedRequest) -> HttpResponse:
    """Local known-benign lists with their entries, and the MISP warning lists consulted.
    ``POST`` with ``op=create`` makes a list, ``op=entry`` adds a pattern to one."""
    _analyst(request)
    op = request.POST.get("op", "") if request.method == "POST" else ""
    if op not in {"", "create", "entry"}:
        raise Http404("Unknown action.")
    list_form = ExclusionListForm(request.POST if op == "create" else None)
    if op == "create" and list_form.is_valid():
        data = list_form.cleaned_data
        if _attempt(list_form, lambda: services.exclusion_list_create(actor=request.user, **data)):
            messages.success(request, f"List {data['name']} created.")
            return redirect("analysis:exclusion-lists")
    posted = None
    if op == "entry":
        target = found(lambda: _exclusion_list(request, request.POST.get("list")))
        posted = ExclusionEntryForm(request.POST, prefix=f"entry{target.pk}")
        if posted.is_valid():
            data = posted.cleaned_data
            if _attempt(
                posted, lambda: services.exclusion_entry_add(actor=request.user, exclusion_list=target, **data)
            ):
                messages.success(request, f"Added to {target.name}.")
                return redirect("analysis:exclusion-lists")
    lists = selectors.exclusion_list_list(principal=request.user).prefetch_related("entries")
    rows = [
        (
            row,
            posted
            if posted is not None and posted.prefix == f"entry{row.pk}"
            else ExclusionEntryForm(prefix=f"entry{row.pk}"),
        )
        for row in lists
    ]
    context = {"rows": rows, "list_form": list_form, "warning_lists": index().lists()}
    return render(request, "analysis/exclusion_lists.html", context, status=400 if op else 200)


def _exclusion_list(request: AuthedRequest, pk: Any) -> ExclusionList:
    try:
        return selectors.exclusion_list_list(principal=request.user).get(pk=int(pk))
    except (ExclusionList.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(f"No exclusion list {pk}.") from exc


@login_required
@require_POST
def exclusion_list_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    """Delete a local list and its patterns."""
    _analyst(request)
    target = found(lambda: _exclusion_list(request, pk))
    services.exclusion_list_delete(actor=request.user, exclusion_list=target)
    messages.success(request, f"List {target.name} deleted.")
    return redirect("analysis:exclusion-lists")


@login_required
@require_POST
def exclusion_entry_remove(request: AuthedRequest, pk: int, entry_id: int) -> HttpResponse:
    """Take one pattern off a local list."""
    _analyst(request)
    target = found(lambda: _exclusion_list(request, pk))
    entry = target.entries.filter(pk=entry_id).first()
    if entry is None:
        raise Http404(f"No entry {entry_id} on this list.")
    services.exclusion_entry_remove(actor=request.user, entry=entry)
    messages.success(request, f"{entry.type} {entry.pattern} removed from {target.name}.")
    return redirect("analysis:exclusion-lists")


# -- trends -----------------------------------------------------------------------------------------


def _bars(rows: list[dict[str, Any]], label: Callable[[dict[str, Any]], str], key: str) -> list[dict[str, Any]]:
    """Rows as bars: label, value and width in percent of the largest."""
    top = max((row[key] for row in rows), default=0) or 1
    return [{"label": label(row), "value": row[key], "width": round(100 * row[key] / top)} for row in rows]


@login_required
@replica_reads
def trends(request: AuthedRequest) -> HttpResponse:
    """Counts over a period (``?since=&until=``, ISO dates; the last twelve months by default)
    from what one may see, as tables and server-drawn bars."""
    _reader(request)
    error = ""
    try:
        since, until = selectors.trend_window(request.GET.get("since"), request.GET.get("until"))
    except ApplicationError as exc:
        error = exc.message
        since, until = selectors.trend_window(None, None)
    data = selectors.trends(principal=request.user, since=since, until=until)
    by_crime: dict[str, int] = {}
    by_region: dict[str, int] = {}
    for row in data["by_crime_region_month"]:
        row["crime_label"] = europol_label(row["crime_type"]) or "Unclassified"
        by_crime[row["crime_label"]] = by_crime.get(row["crime_label"], 0) + row["count"]
        by_region[row["region"]] = by_region.get(row["region"], 0) + row["count"]

    def totals(counts: dict[str, int]) -> list[dict[str, Any]]:
        return _bars([{"k": k or "unclassified", "n": n} for k, n in counts.items()], lambda r: r["k"], "n")

    context = {
        **data,
        "error": error,
        "since_text": request.GET.get("since", "") if not error else "",
        "until_text": request.GET.get("until", "") if not error else "",
        "crime_bars": totals(dict(sorted(by_crime.items(), key=lambda kv: -kv[1]))),
        "region_bars": totals(dict(sorted(by_region.items(), key=lambda kv: -kv[1]))),
        "campaign_bars": _bars(data["new_campaigns"], lambda r: r["month"], "count"),
        "score_bars": _bars(data["contributions"], lambda r: r["organisation"], "score"),
        "host": principal_context(request.user).is_host,
        **trend_series(data, since, until),
    }
    return render(request, "analysis/trends.html", context, status=400 if error else 200)


# -- intelligence reports ---------------------------------------------------------------------------


@login_required
@replica_reads
def report_list(request: AuthedRequest) -> HttpResponse:
    """Reports: analysts all of them; a partner those delivered to its organisation."""
    _reader(request)
    qs = selectors.report_list(principal=request.user)
    status = request.GET.get("status", "")
    if status in IntelReport.Status.values:
        qs = qs.filter(status=status)
    page, query = paginate(request, qs)
    context = {
        "page": page,
        "query": query,
        "status": status,
        "statuses": IntelReport.Status.choices,
        "analyst": has_perm(request.user, Perm.ANALYSIS_WORK),
    }
    return render(request, "analysis/report_list.html", context)


def _report_initial(report: IntelReport) -> dict[str, Any]:
    return {
        "title": report.title,
        "summary": report.summary,
        "assessment": report.assessment,
        "tlp": report.tlp,
        "audience": report.audience,
        "audience_organisations": list(report.audience_organisations.all()),
        "audience_regions": report.audience_regions,
        "campaigns": [str(pk) for pk in report.campaigns.values_list("pk", flat=True)],
        "objects": "\n".join(sorted(set(report.objects_included.values_list("stix_id", flat=True)))),
    }


@login_required
def report_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    """Draft a report, or change a draft (analysts)."""
    _analyst(request)
    report = found(lambda: selectors.report_get(principal=request.user, pk=pk)) if pk else None
    if report is not None and report.status != IntelReport.Status.DRAFT:
        messages.error(request, "A disseminated report cannot change; write a new one.")
        return redirect("analysis:report-detail", pk=report.pk)
    campaigns = selectors.campaign_list(principal=request.user)
    chosen = [c for c in request.GET.getlist("campaign") if c.isdigit()]
    choices = {c.pk: f"#{c.pk} {c.name}" for c in campaigns[:CHOICES_SHOWN]}
    if report is not None:
        choices |= {c.pk: f"#{c.pk} {c.name}" for c in report.campaigns.all()}
    initial = _report_initial(report) if report is not None else {"campaigns": chosen}
    form = IntelReportForm(request.POST or None, initial=initial, campaigns=sorted(choices.items()))
    saved: list[IntelReport] = []
    if request.method == "POST" and form.is_valid():
        arguments = form.arguments()
        if _attempt(form, lambda: saved.append(services.report_save(actor=request.user, report=report, **arguments))):
            messages.success(request, "Draft saved.")
            return redirect("analysis:report-detail", pk=saved[0].pk)
    return render(
        request,
        "analysis/report_form.html",
        {"form": form, "report": report},
        status=400 if form.errors else 200,
    )


@login_required
def report_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """A report. Analysts see what would be included and what blocked, with the reasons (the
    stored result once disseminated), and disseminate a draft (``POST``)."""
    _reader(request)
    report = found(lambda: selectors.report_get(principal=request.user, pk=pk))
    analyst = has_perm(request.user, Perm.ANALYSIS_WORK)
    if request.method == "POST":
        _analyst(request)
        if request.POST.get("confirm") != "yes":
            # The confirmation step: who will receive what, and that it cannot be taken back.
            check = report_check(report) if report.status == IntelReport.Status.DRAFT else None
            return render(request, "analysis/report_confirm.html", {"report": report, "check": check})
        try:
            services.report_disseminate(actor=request.user, report=report)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Disseminated to {len(report.dissemination['recipients'])} organisations.")
            return redirect("analysis:report-detail", pk=report.pk)
    draft = report.status == IntelReport.Status.DRAFT
    check = (report_check(report) if draft else report.dissemination) if analyst else None
    listed = [item["stix_id"] for key in ("included", "blocked") for item in (check or {}).get(key, [])]
    context = {
        "report": report,
        # each item by its name or value where the analyst may view it (the first few hundred)
        "named": objects_by_id(principal=request.user, stix_ids=listed[:NAMED_SHOWN]) if check else {},
        "analyst": analyst,
        "draft": draft,
        "check": check,
        "campaigns": report.campaigns.all() if analyst else [],
        "organisations": report.audience_organisations.all() if analyst else [],
    }
    return render(request, "analysis/report_detail.html", context)


@login_required
def report_print(request: AuthedRequest, pk: int) -> HttpResponse:
    """The printable report: the objects as the reader may see them, and for analysts the
    blocked items with their reasons. A draft prints with what the check would let through now."""
    _reader(request)
    report = found(lambda: selectors.report_get(principal=request.user, pk=pk))
    analyst = has_perm(request.user, Perm.ANALYSIS_WORK)
    if report.status == IntelReport.Status.DRAFT:
        report.dissemination = report_check(report)  # shown, never saved
    bundle = found(lambda: report_bundle(report, request.user))
    services.report_bundle_consulted(actor=request.user, report=report, bundle=bundle, via="web")
    objects = [  # after the identity, the marking and the report itself
        {
            "title": body.get("name") or body["type"],
            "type": body["type"],
            "facts": facts({k: v for k, v in body.items() if k not in {"type", "spec_version", "name"}}),
        }
        for body in bundle["objects"][3:]
    ]
    context = {
        "report": report,
        "objects": objects,
        "analyst": analyst,
        "blocked": report.dissemination.get("blocked", []) if analyst else [],
        "recipients": report.dissemination.get("recipients", []) if analyst else [],
        "generated_at": timezone.now(),
    }
    return render(request, "analysis/report_print.html", context)
