"""Pages of payment interception: the list (with the form that raises a request), a request's
page (its facts, the chain of accounts as a graph, its outcomes, the partners' shared data that
mention the account, and the steps its reader may take), and the report with its charts and CSV.

Every page that shows requests logs the reading as a consultation of personal data. Thin: forms
check shape, services decide, selectors read."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render

from accord.core.errors import ApplicationError
from accord.core.roles import Perm, has_perm
from accord.core.ui import AuthedRequest, attempt, found, paginate
from accord.interception import directory, reports, selectors, services
from accord.interception.charts import report_charts
from accord.interception.choices import RequestStatus
from accord.interception.filters import DirectoryFilter, InterceptionFilter
from accord.interception.forms import LookupForm, OnwardForm, OperationForm, OutcomeForm, RaiseForm, WithdrawForm
from accord.interception.graph import chain_svg
from accord.interception.models import InterceptionRequest

__all__ = [
    "bank_directory",
    "interception_detail",
    "interception_list",
    "interception_report",
    "interception_report_csv",
]


# The raise form's ids differ from the filters' on the same page (both have a currency, a crime type).
RAISE_IDS = "raise_%s"


def _show_error(form: Any, exc: ApplicationError) -> None:
    """A service's refusal shown next to the field it names (or above the form)."""
    field = next(iter(exc.details), None) if isinstance(exc.details, dict) else None
    if field in form.fields:
        form.add_error(field, exc.message.removeprefix(f"{field}: "))
    else:
        form.add_error(None, exc.message)


@login_required
def interception_list(request: AuthedRequest) -> HttpResponse:
    """The requests the reader sees, filtered and paged; people who may raise one do it here."""
    may_raise = has_perm(request.user, Perm.SHARING_SUBMIT)
    form = RaiseForm(auto_id=RAISE_IDS)
    status = 200
    if request.method == "POST" and may_raise:
        form = RaiseForm(request.POST, auto_id=RAISE_IDS)
        if form.is_valid():
            try:
                made = services.interception_raise(actor=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                _show_error(form, exc)
            else:
                return redirect("interception:interception-detail", reference=made.reference)
        status = 400
    filterset = InterceptionFilter(request.GET, queryset=selectors.interception_list(principal=request.user))
    page, query = paginate(request, filterset.qs)
    _log_page(request, list(page))
    context = {"filter": filterset, "page": page, "query": query, "form": form, "may_raise": may_raise}
    return render(request, "interception/interception_list.html", context, status=status)


def _log_page(request: AuthedRequest, rows: list[InterceptionRequest]) -> None:
    services.interceptions_consulted(actor=request.user, requests=rows, via="web")


def _step(request: AuthedRequest, row: InterceptionRequest, forms_: dict[str, Any]) -> bool | HttpResponse:
    """The step the POST asks for; a refusal is shown on the form it came from."""
    op = request.POST.get("op", "")
    if op == "acknowledge":
        return attempt(
            request, lambda: services.interception_acknowledge(actor=request.user, request=row), "Acknowledged."
        )
    if op == "outcome":
        outcome, onward = OutcomeForm(request.POST), OnwardForm(request.POST, prefix="onward")
        forms_["outcome"], forms_["onward"] = outcome, onward
        if not (outcome.is_valid() and onward.is_valid()):
            return False
        return attempt(
            request,
            lambda: services.interception_report(
                actor=request.user, request=row, onward=onward.onward(), **outcome.cleaned_data
            ),
            "Outcome reported.",
            outcome,
        )
    if op == "withdraw":
        withdraw = WithdrawForm(request.POST)
        forms_["withdraw"] = withdraw
        if request.POST.get("confirm") != "yes" or not withdraw.is_valid():
            return render(
                request,
                "interception/withdraw_confirm.html",
                {"row": row, "form": withdraw},
                status=400 if withdraw.errors else 200,
            )
        return attempt(
            request,
            lambda: services.interception_withdraw(actor=request.user, request=row, **withdraw.cleaned_data),
            "Request withdrawn.",
            withdraw,
        )
    if op == "operation":
        link = OperationForm(request.POST)
        forms_["operation"] = link
        if not link.is_valid():
            return False
        number = link.cleaned_data["operation"]
        return attempt(
            request,
            lambda: services.interception_link_operation(actor=request.user, request=row, operation=number),
            "Operation link saved.",
            link,
        )
    return False


@login_required
def interception_detail(request: AuthedRequest, reference: str) -> HttpResponse:
    """One request: what it asks, where it went and why, its clocks, the chain of accounts, its
    outcomes, what partners shared about the account, and the steps the reader may take."""
    row = found(lambda: selectors.interception_get(principal=request.user, pk=reference))
    forms_: dict[str, Any] = {
        "outcome": OutcomeForm(),
        "onward": OnwardForm(prefix="onward"),
        "withdraw": WithdrawForm(),
        "operation": OperationForm(initial={"operation": row.operation_id}),
    }
    status = 200
    if request.method == "POST":
        done = _step(request, row, forms_)
        if isinstance(done, HttpResponse):
            return done
        if done:
            return redirect("interception:interception-detail", reference=row.reference)
        status = 400
    chain = selectors.interception_chain(principal=request.user, request=row)
    _log_page(request, chain or [row])
    user = request.user
    acts = has_perm(user, Perm.SHARING_SUBMIT)
    context = {
        "row": row,
        "chain": chain,
        "graph": chain_svg(chain, current=row),
        "totals": selectors.outcome_totals(row),
        "seen": selectors.interception_seen_in_shared(principal=user, request=row)[:20],
        "is_addressee": acts and user.organisation_id == row.addressee_id and row.is_open,
        "may_ack": row.status == RequestStatus.SENT,
        "may_withdraw": acts
        and row.is_open
        and (user.organisation.is_host or user.organisation_id in (row.requester_id, row.raised_by_id)),
        "may_link": row.is_open
        and (has_perm(user, Perm.GOVERNANCE_MANAGE) or user.organisation_id == row.requester_id),
        **{f"{name}_form": form for name, form in forms_.items()},
    }
    return render(request, "interception/interception_detail.html", context, status=status)


def _report(request: AuthedRequest) -> tuple[str, InterceptionFilter, list[reports.ReportRow]]:
    by = request.GET.get("by") or "month"
    if by not in reports.GROUPINGS:
        by = "month"
    filterset = InterceptionFilter(request.GET, queryset=selectors.interception_list(principal=request.user))
    return by, filterset, reports.report_rows(filterset.qs, by=by)


@login_required
def interception_report(request: AuthedRequest) -> HttpResponse:
    """The figures per month, region, crime type or bank, as a table and charts."""
    by, filterset, rows = _report(request)
    query = request.GET.copy()
    context = {
        "by": by,
        "groupings": reports.GROUPINGS,
        "filter": filterset,
        "rows": rows,
        "charts": report_charts(rows),
        "query": query.urlencode(),
    }
    return render(request, "interception/interception_report.html", context)


@login_required
def interception_report_csv(request: AuthedRequest) -> HttpResponse:
    """The figures as CSV, formula-safe."""
    by, _, rows = _report(request)
    response = HttpResponse(reports.report_csv(rows, by=by), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="interceptions-by-{by}.csv"'
    return response


@login_required
def bank_directory(request: AuthedRequest) -> HttpResponse:
    """The banks and exchanges requests can be routed to, filtered and paged, and the lookup
    "who would receive a request for this account?" answered by the routing itself."""
    if not directory.directory_open(request.user):
        raise PermissionDenied("The bank directory is for the programme's staff and law-enforcement units.")
    lookup_form = LookupForm(request.GET if "account" in request.GET else None, auto_id="lookup_%s")
    answer = None
    if lookup_form.is_bound and lookup_form.is_valid():
        try:
            answer = directory.directory_lookup(principal=request.user, text=lookup_form.cleaned_data["account"])
        except ApplicationError as exc:
            _show_error(lookup_form, exc)
    filters = request.GET.copy()
    filters.pop("account", None)
    filterset = DirectoryFilter(filters, queryset=directory.directory_list(principal=request.user))
    page, query = paginate(request, filterset.qs)
    context = {"filter": filterset, "page": page, "query": query, "lookup": lookup_form, "answer": answer}
    return render(request, "interception/bank_directory.html", context)
