"""An amendment that leaves every organisation's view as it was (a note, a renewal) compares no
views: reading every version an organisation may receive, before and after, costs seconds at a
million objects. One that may change a view (its terms, whether it is in force now, the
organisation's status its sync moves) is still compared, so no arrival or withdrawal is missed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.core.choices import OrganisationStatus
from accord.core.errors import ValidationFailed
from accord.core.models import Organisation
from accord.partners.services import agreement_amend
from accord.sharing.models import Arrival, StixObject, VisibilityChange, Withdrawal
from accord.sharing.services import Scope, visibility_watch
from tests.factories import make_agreement
from tests.taxii.polling import marked, share

pytestmark = pytest.mark.django_db

STORE = StixObject._meta.db_table


def _read_the_store(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if STORE in query["sql"]]


@pytest.mark.parametrize("change", ["a note", "a renewal"])
def test_an_amendment_keeping_terms_and_window_now_reads_no_version(sharer, partner, reader_org, change):
    agreement = make_agreement(reader_org, valid_until=timezone.now() + timedelta(days=20))
    share(partner, marked(1, "green"), marked(2, "clear"))
    longer = {"valid_until": timezone.now() + timedelta(days=385)} if change == "a renewal" else {}
    for amended in (agreement, sharer):  # as recipient, and as originator of what is stored
        with CaptureQueriesContext(connection) as queries:
            agreement_amend(actor=None, agreement=amended, change_note="Contact points updated.", **longer)
        assert _read_the_store(queries) == []
    assert not VisibilityChange.objects.exists()


def test_an_amendment_changing_terms_is_still_compared(sharer, partner, reader_org):
    agreement = make_agreement(reader_org, tlp_ceiling="clear", default_tlp="clear")
    share(partner, marked(1, "green"))
    agreement_amend(actor=None, agreement=agreement, change_note="green too", terms={"tlp_ceiling": "green"})
    assert list(Arrival.objects.values_list("organisation", flat=True)) == [reader_org.pk]


def test_an_amendment_moving_the_start_ahead_is_still_compared(sharer, partner, reader_org):
    agreement = make_agreement(reader_org)
    share(partner, marked(1, "green"))
    agreement_amend(
        actor=None,
        agreement=agreement,
        change_note="Starts once the annex is signed.",
        valid_from=timezone.now() + timedelta(days=10),
        valid_until=timezone.now() + timedelta(days=375),
    )
    assert list(Withdrawal.objects.values_list("organisation", flat=True)) == [reader_org.pk]


def test_a_note_is_still_compared_when_the_sync_moves_the_organisations_status(sharer, partner, reader_org):
    """An applicant holding an agreement in force receives nothing until its status is brought in
    line, which the amendment's sync does: the note changes what it receives."""
    agreement = make_agreement(reader_org)
    Organisation.objects.filter(pk=reader_org.pk).update(status=OrganisationStatus.APPLICANT)
    share(partner, marked(1, "green"))
    agreement_amend(actor=None, agreement=agreement, change_note="Contact points updated.")
    assert Organisation.objects.get(pk=reader_org.pk).status == OrganisationStatus.ACTIVE
    assert list(Arrival.objects.values_list("organisation", flat=True)) == [reader_org.pk]


def test_a_version_arriving_again_moves_its_one_arrival_to_the_latest_change(sharer, partner, reader_org):
    agreement = make_agreement(reader_org, tlp_ceiling="clear", default_tlp="clear")
    share(partner, marked(1, "green"), marked(2, "green"))
    for ceiling in ("green", "clear", "green"):
        agreement_amend(actor=None, agreement=agreement, change_note=ceiling, terms={"tlp_ceiling": ceiling})
    first, withdrawn, latest = VisibilityChange.objects.order_by("pk")
    assert (first.arrivals, withdrawn.withdrawals, latest.arrivals) == (2, 2, 2)
    assert sorted(Arrival.objects.values_list("change", flat=True)) == [latest.pk, latest.pk]
    assert Withdrawal.objects.filter(change=withdrawn, organisation=reader_org).count() == 2


def _view_tables() -> list[str]:
    """The watch's temporary tables still on this connection."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_temp_master WHERE type = 'table' AND name LIKE '_accord_view_%'")
        else:
            cursor.execute("SELECT relname FROM pg_class WHERE relpersistence = 't' AND relname LIKE '_accord_view_%'")
        return [name for (name,) in cursor.fetchall()]


def test_a_watch_leaves_no_table_whether_its_change_succeeds_or_is_refused(sharer, partner, reader_org):
    """The views the watch compares are temporary tables of the connection, which a long-lived
    web or worker process keeps: dropped after the change, and after a change refused (an
    application error leaves the transaction usable) without hiding the refusal."""
    agreement = make_agreement(reader_org, tlp_ceiling="clear", default_tlp="clear")
    share(partner, marked(1, "green"))
    scope = Scope((reader_org.pk,), Q())
    with transaction.atomic():
        agreement_amend(actor=None, agreement=agreement, change_note="green too", terms={"tlp_ceiling": "green"})
        assert _view_tables() == []
        with pytest.raises(ValidationFailed, match="refused"):
            with visibility_watch(cause="refused", scopes=[scope]):
                raise ValidationFailed("refused: the change is not allowed")
        assert _view_tables() == []
    assert list(Arrival.objects.values_list("organisation", flat=True)) == [reader_org.pk]


def test_a_database_error_within_a_watch_is_raised_as_it_is(sharer, partner, reader_org):
    """A failed statement aborts a PostgreSQL transaction, so the tables cannot be dropped then;
    the rollback takes them, and the error the change met is the one raised."""
    make_agreement(reader_org)
    share(partner, marked(1, "green"))
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            with visibility_watch(cause="broken", scopes=[Scope((reader_org.pk,), Q())]):
                Organisation.objects.create(name=reader_org.name, short_name=reader_org.short_name)
    assert _view_tables() == []
