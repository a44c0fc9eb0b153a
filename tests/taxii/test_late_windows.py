"""An agreement's window opens or ends with no one acting: what it lets through, or stops,
reaches an incremental TAXII poller (the OASIS ``taxii2-client``) once the sweep has looked,
exactly once however late or often it looks.

The clock is controlled by moving the window rather than the present: "the window opens now"
is written as its start set to the present, after the poller's first read (the versions' own
creation is earlier, as it would be for a window that opens on a date agreed beforehand)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from accord.partners.models import Agreement, AgreementVersion
from accord.partners.services import agreement_activate, agreements_sweep
from accord.sharing.models import WindowPassage, Withdrawal
from accord.sharing.services import object_revoke, visibility_windows_pass
from tests.factories import UserFactory, make_agreement
from tests.taxii.polling import Poller, marked, share

pytestmark = pytest.mark.django_db(transaction=True)


def window(agreement: Agreement, **edges: Any) -> None:
    """Time reaches the window's edges ``edges`` (``valid_from``/``valid_until``). The policy
    keeps agreements read while their row is unchanged (``policy.agreements``), as time passing
    leaves it; an edge moved by hand marks the row changed, as a clock moved would need none."""
    AgreementVersion.objects.filter(pk=agreement.current_version_id).update(**edges)
    Agreement.objects.filter(pk=agreement.pk).update(updated_at=timezone.now())


def passage(agreement: Agreement) -> WindowPassage:
    return WindowPassage.objects.select_related("change").get(version=agreement.current_version_id)


def test_a_window_that_opens_brings_what_it_lets_through_once_swept(poller, partner, reader_org):
    agreement = make_agreement(reader_org, status="draft", valid_from=timezone.now() + timedelta(days=30))
    agreement_activate(actor=None, agreement=agreement, reason="in force from next month")
    green = share(partner, marked(1, "green"), marked(2, "green"))
    public = share(partner, marked(3, "clear"))
    assert poller.poll() == public
    window(agreement, valid_from=timezone.now())
    fresh = Poller(poller.url, UserFactory(role="partner_reader", organisation=reader_org))
    assert fresh.poll() == green | public  # the policy reads the window itself: a full read has them
    assert poller.poll() == set()  # but nothing happened that an incremental poller could see
    call_command("agreements", "sweep")
    assert poller.poll() == green
    call_command("agreements", "sweep")
    assert visibility_windows_pass() == 0
    assert poller.poll() == set()
    assert passage(agreement).edge == "opens" and passage(agreement).change.arrivals == len(green)


def test_a_window_that_ends_lists_withdrawals_once(poller, partner, reader_org):
    agreement = make_agreement(reader_org)
    received = share(partner, marked(1, "green"), marked(2, "green"))
    assert poller.poll() == received
    window(agreement, valid_until=timezone.now())
    expired = agreements_sweep()
    assert [a.pk for a in expired] == [agreement.pk]  # its own expiry, watched too, withdraws nothing again
    agreements_sweep()
    assert poller.withdrawn() == received
    assert Withdrawal.objects.filter(organisation=reader_org).count() == len(received)
    assert passage(agreement).change.withdrawals == len(received)  # the edge's, not the expiry's
    public = share(partner, marked(3, "clear"))
    assert poller.poll() == public


def test_a_change_after_an_edge_the_sweep_has_not_seen_records_the_edge_first(poller, partner, reader_org, people):
    """The sweep runs late: meanwhile an object is revoked. The revocation looks for passed
    edges before it compares, so the window's end is recorded (the poller learns it lost both),
    and the late sweep records nothing more."""
    agreement = make_agreement(reader_org)
    first, second = marked(1, "green"), marked(2, "green")
    received = share(partner, first, second)
    assert poller.poll() == received
    window(agreement, valid_until=timezone.now())
    object_revoke(actor=people["partner_contributor"], stix_id=first["id"], reason="sent in error")
    agreements_sweep()
    assert poller.withdrawn() == received
    assert Withdrawal.objects.filter(organisation=reader_org).count() == len(received)
    assert passage(agreement).change.withdrawals == len(received)


def test_a_window_that_opened_while_a_draft_is_brought_by_its_activation_alone(poller, partner, reader_org):
    """The edge passed before the agreement was in force: the activation records the arrivals,
    and a later sweep does not record them again."""
    agreement = make_agreement(reader_org, status="draft", valid_from=timezone.now() + timedelta(days=30))
    green = share(partner, marked(1, "green"))
    assert poller.poll() == set()
    window(agreement, valid_from=timezone.now())
    agreement_activate(actor=None, agreement=agreement)
    assert poller.poll() == green
    agreements_sweep()
    assert poller.poll() == set()
    assert passage(agreement).change is None  # seen, while a draft: nothing changed at it


def test_a_sweep_as_of_a_moment_to_come_records_no_edge_before_it_passes(poller, partner, reader_org):
    """``accord agreements sweep --now`` in the future records nothing early: the edge is still
    to pass when readers read, so recording it then would date its arrivals before it."""
    agreement = make_agreement(reader_org, status="draft", valid_from=timezone.now() + timedelta(days=2))
    agreement_activate(actor=None, agreement=agreement)
    green = share(partner, marked(1, "green"))
    later = (timezone.now() + timedelta(days=3)).isoformat()
    call_command("agreements", "sweep", "--now", later)
    assert not WindowPassage.objects.exists()
    assert poller.poll() == set()
    window(agreement, valid_from=timezone.now())
    visibility_windows_pass()  # what `accord worker` runs every round
    assert poller.poll() == green
