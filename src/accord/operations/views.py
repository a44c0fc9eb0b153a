"""Operations UI: the list of operations, an operation's page with its dashboard of outcome
totals, and its printable closing report.

Thin: forms check shape, services decide, selectors read. A refused change is shown as a
message naming the rule; nothing is stored.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accord.core.roles import Perm, has_perm
from accord.core.ui import AuthedRequest, attempt, found, listing, submit
from accord.operations import selectors, services
from accord.operations.choices import OPERATION_TRANSITIONS, OUTCOME_COUNTS
from accord.operations.filters import OperationFilter
from accord.operations.forms import OperationForm, OutcomeForm, ParticipantsForm, PhaseForm
from accord.operations.models import Operation
from accord.sharing.selectors import object_rows

__all__ = ["operation_detail", "operation_list", "operation_report"]


def _manage(request: AuthedRequest) -> bool:
    """Operations are run by those who manage governance (the permission they had there)."""
    return has_perm(request.user, Perm.GOVERNANCE_MANAGE)


@login_required
def operation_list(request: AuthedRequest) -> HttpResponse:
    manage = _manage(request)
    form = OperationForm()
    if request.method == "POST":
        if not manage:
            raise PermissionDenied("Programme managers only.")
        form = OperationForm(request.POST)
        created: list[Any] = []
        if form.is_valid() and attempt(
            request,
            lambda: created.append(
                services.operation_create(
                    actor=request.user,
                    **(form.cleaned_data | {"participants": list(form.cleaned_data["participants"])}),
                )
            ),
            "Operation planned.",
        ):
            return redirect("operations:operation-detail", pk=created[0].pk)
    filterset = OperationFilter(request.GET, queryset=selectors.operation_list(principal=request.user))
    return listing(request, "operations/operation_list.html", filterset, manage=manage, form=form)


def _dashboard(operation: Any) -> dict[str, Any]:
    totals = selectors.operation_totals(operation=operation)
    top = max([totals[name] for name in OUTCOME_COUNTS] + [1])
    bars = [
        {"label": name.replace("_", " ").capitalize(), "value": totals[name], "width": round(100 * totals[name] / top)}
        for name in OUTCOME_COUNTS
    ]
    return {"totals": totals, "bars": bars}


@login_required
def operation_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """An operation: dashboard of outcome totals, phases, participants, the linked intelligence
    the reader may see, outcomes; managers move it, add phases, change participants, link
    objects and record outcomes."""
    operation = found(lambda: selectors.operation_get(principal=request.user, pk=pk))
    manage = _manage(request)
    outcome_form = OutcomeForm(initial={"date": timezone.localdate()})
    phase_form = PhaseForm(prefix="phase")
    participants_form = ParticipantsForm(
        initial={"participants": list(operation.participants.all())}, prefix="participants"
    )
    if request.method == "POST":
        op = request.POST.get("op")
        done = False
        if op == "link":
            done = attempt(
                request,
                lambda: services.operation_link_object(
                    actor=request.user, operation=operation, stix_id=request.POST.get("stix_id", "")
                ),
                "Object linked.",
            )
        elif op in ("link_campaign", "unlink_campaign"):
            done = _campaign_link(request, operation, op)
        elif not manage:
            raise PermissionDenied("Programme managers only.")
        elif op == "transition":
            done = attempt(
                request,
                lambda: services.operation_transition(
                    actor=request.user,
                    operation=operation,
                    to=request.POST.get("to", ""),
                    closing_summary=request.POST.get("closing_summary", ""),
                ),
                "Operation updated.",
            )
        elif op == "outcome":
            outcome_form = OutcomeForm(request.POST)
            done = submit(
                request, outcome_form, services.operation_record_outcome, "Outcome recorded.", operation=operation
            )
        elif op == "phase":
            phase_form = PhaseForm(request.POST, prefix="phase")
            done = submit(
                request, phase_form, services.operation_phase_add, "Phase added.", inline=True, operation=operation
            )
        elif op == "participants":
            participants_form = ParticipantsForm(request.POST, prefix="participants")
            done = participants_form.is_valid() and attempt(
                request,
                lambda: services.operation_set_participants(
                    actor=request.user,
                    operation=operation,
                    participants=list(participants_form.cleaned_data["participants"]),
                ),
                "Participants updated.",
                participants_form,
            )
        if done:
            return redirect("operations:operation-detail", pk=operation.pk)
    context = {
        "operation": operation,
        "manage": manage,
        "can_link": manage or has_perm(request.user, Perm.ANALYSIS_WORK),
        "objects": object_rows(
            principal=request.user, objects=selectors.operation_objects(principal=request.user, operation=operation)
        ),
        "campaigns": selectors.operation_campaigns(principal=request.user, operation=operation),
        "outcomes": operation.outcomes.all(),
        "next": OPERATION_TRANSITIONS[operation.status],
        "outcome_form": outcome_form,
        "phase_form": phase_form,
        "participants_form": participants_form,
        **_dashboard(operation),
    }
    return render(request, "operations/operation_detail.html", context)


def _campaign_link(request: AuthedRequest, operation: Operation, op: str) -> bool:
    """Link or unlink the campaign named in the form (its id); a bad id is the service's 400."""
    raw = request.POST.get("campaign", "").strip()
    campaign = int(raw) if raw.isdigit() else 0
    if op == "link_campaign":
        return attempt(
            request,
            lambda: services.operation_link_campaign(actor=request.user, operation=operation, campaign=campaign),
            "Campaign linked.",
        )
    return attempt(
        request,
        lambda: services.operation_unlink_campaign(actor=request.user, operation=operation, campaign=campaign),
        "Campaign unlinked.",
    )


@login_required
def operation_report(request: AuthedRequest, pk: int) -> HttpResponse:
    """The closing report: a printable page of the operation, its phases and outcomes."""
    operation = found(lambda: selectors.operation_get(principal=request.user, pk=pk))
    context = {
        "operation": operation,
        "objects": object_rows(
            principal=request.user, objects=selectors.operation_objects(principal=request.user, operation=operation)
        ),
        "campaigns": selectors.operation_campaigns(principal=request.user, operation=operation),
        "outcomes": operation.outcomes.all(),
        "generated_at": timezone.now(),
        **_dashboard(operation),
    }
    return render(request, "operations/operation_report.html", context)
