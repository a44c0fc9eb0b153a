"""``visibility_published``: what a listener (the withdrawal webhook, a notification) hears once
a change's arrivals and withdrawals are dated, and that a failing listener stops nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest

from accord.sharing.models import VisibilityChange, Withdrawal
from accord.sharing.services import object_revoke, submission_create, submission_process, visibility_published
from tests.factories import OrganisationFactory, make_agreement
from tests.stix_samples import bundle, indicator

pytestmark = pytest.mark.django_db(transaction=True)  # publication runs once the change commits


def test_a_listener_hears_each_published_change_with_its_withdrawals_dated(partner, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    bank = OrganisationFactory(name="Atlas Bank Group", country="AE", sector="banking_finance")
    make_agreement(bank)
    green = indicator(1, "[ipv4-addr:value = '198.51.100.1']")
    submission, _ = submission_create(actor=None, organisation=partner, stream=io.BytesIO(bundle(green)), format="stix")
    submission_process(submission_id=submission.pk)
    heard: list[tuple[int, list[Any]]] = []

    def listener(sender: Any, *, change_id: int, **kwargs: Any) -> None:
        rows = Withdrawal.objects.filter(change_id=change_id)
        heard.append(
            (change_id, [(w.organisation_id, w.stix_object.stix_id, w.withdrawn_at is not None) for w in rows])
        )

    def failing(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("the webhook's endpoint is down")

    visibility_published.connect(failing)
    visibility_published.connect(listener)
    try:
        object_revoke(actor=people["partner_contributor"], stix_id=green["id"], reason="sent in error")
    finally:
        visibility_published.disconnect(failing)
        visibility_published.disconnect(listener)
    change = VisibilityChange.objects.get()
    assert change.status == "done"
    assert len(heard) == 1 and heard[0][0] == change.pk
    # Each withdrawal of the revoked object, dated before the listener heard of it.
    assert heard[0][1] and all(stix_id == green["id"] and dated for _, stix_id, dated in heard[0][1])
    assert len(heard[0][1]) == Withdrawal.objects.filter(stix_object__stix_id=green["id"]).count()
