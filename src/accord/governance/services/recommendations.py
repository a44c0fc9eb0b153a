"""Recommendations, their notes and overdue reminders, and action items."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from accord.core import guards
from accord.core.guards import invalid, one_of
from accord.core.models import User
from accord.governance.choices import (
    RECOMMENDATION_WORKFLOW,
    RecommendationArea,
    RecommendationStatus,
)
from accord.governance.models import ActionItem, Group, Meeting, Recommendation, RecommendationNote
from accord.governance.services._common import _audit, _manage
from accord.governance.services.meetings import _scheduled
from accord.notifications.services import notify

# --- Recommendations and action items ------------------------------------------------------------


@transaction.atomic
def recommendation_create(
    *,
    actor: User | None,
    meeting: Meeting,
    group: Group,
    title: str,
    area: str,
    text: str = "",
    owner: User | None = None,
    due_date: date | None = None,
) -> Recommendation:
    """Record a recommendation made at a meeting by one of its groups (status ``proposed``);
    a cancelled meeting makes none."""
    _manage(actor)
    _scheduled(meeting)
    one_of("area", area, RecommendationArea)
    if not meeting.groups.filter(pk=group.pk).exists():
        raise invalid("group", f"{group.name} did not take part in this meeting.", "One of the meeting's groups.")
    recommendation = Recommendation.objects.create(
        meeting=meeting,
        group=group,
        title=guards.required_text("title", title),
        text=text,
        area=area,
        owner=owner,
        due_date=due_date,
    )
    _audit(actor, "recommendation.create", recommendation, title=recommendation.title, group=group.slug, area=area)
    return recommendation


@transaction.atomic
def recommendation_transition(
    *, actor: User | None, recommendation: Recommendation, to: str, note: str = ""
) -> Recommendation:
    """Move a recommendation along ``proposed → adopted → in_progress → implemented | rejected``
    (no step skipped); a rejection needs a note saying why."""
    _manage(actor)
    one_of("to", to, RecommendationStatus)
    recommendation = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    RECOMMENDATION_WORKFLOW.check(recommendation.status, to)
    if to == RecommendationStatus.REJECTED and not note.strip():
        raise invalid("note", "a rejection needs a note saying why.", "Required when rejecting.")
    previous = RECOMMENDATION_WORKFLOW.record(
        actor=actor,
        obj=recommendation,
        to=to,
        action="governance.recommendation.transition",
        details={"status_from": recommendation.status, "to": to, "note": note},
        update_fields=["status", "updated_at"],
    )
    RecommendationNote.objects.create(
        recommendation=recommendation, author=actor, status=to, body=note.strip() or f"{previous} → {to}"
    )
    return recommendation


@transaction.atomic
def recommendation_note(*, actor: User | None, recommendation: Recommendation, body: str) -> RecommendationNote:
    """Add a progress note to a recommendation."""
    _manage(actor)
    note = RecommendationNote.objects.create(
        recommendation=recommendation,
        author=actor,
        status=recommendation.status,
        body=guards.required_text("body", body),
    )
    _audit(actor, "recommendation.note", recommendation, note=note.pk)
    return note


def recommendations_overdue_daily(*, today: date | None = None) -> list[int]:
    """The daily job (``ACCORD_DAILY_JOBS``): e-mail the owner of every open recommendation
    whose due date has passed, once per recommendation (``overdue_notified_at`` marks it, so
    running again sends nothing). Returns the recommendations whose owners were told."""
    today = today or timezone.localdate()
    told: list[int] = []
    with transaction.atomic():
        due = (
            Recommendation.objects.select_for_update(of=("self",))
            .overdue(today)
            .filter(
                overdue_notified_at__isnull=True,
                owner__isnull=False,
                owner__is_active=True,
            )
            .exclude(owner__email="")
            .select_related("owner", "group", "meeting")
            .order_by("pk")
        )
        for recommendation in due:
            assert recommendation.owner is not None  # noqa: S101 - filtered above
            notify(
                "recommendation.overdue",
                people=[recommendation.owner],
                template="governance/email/recommendation_overdue",
                subject=recommendation,
                link="/governance/recommendations/",
                context={"recommendation": recommendation, "today": today},
            )
            recommendation.overdue_notified_at = timezone.now()
            recommendation.save(update_fields=["overdue_notified_at"])
            _audit(None, "recommendation.overdue_notice", recommendation, owner=recommendation.owner.username)
            told.append(recommendation.pk)
    return told


@transaction.atomic
def action_item_add(
    *,
    actor: User | None,
    recommendation: Recommendation,
    description: str,
    owner: User | None = None,
    due_date: date | None = None,
) -> ActionItem:
    """Add an action item to an open recommendation."""
    _manage(actor)
    if recommendation.status in (RecommendationStatus.IMPLEMENTED, RecommendationStatus.REJECTED):
        raise invalid("recommendation", f"the recommendation is {recommendation.status}; it takes no new actions.")
    item = ActionItem.objects.create(
        recommendation=recommendation,
        description=guards.required_text("description", description),
        owner=owner,
        due_date=due_date,
    )
    _audit(actor, "action_item.add", recommendation, item=item.pk, description=item.description)
    return item


@transaction.atomic
def action_item_complete(*, actor: User | None, item: ActionItem) -> ActionItem:
    """Mark an action item done."""
    _manage(actor)
    if item.done_at is not None:
        raise invalid("item", "this action item is already done.")
    item.done_at = timezone.now()
    item.save(update_fields=["done_at"])
    _audit(actor, "action_item.complete", item.recommendation, item=item.pk)
    return item
