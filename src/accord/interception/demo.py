"""Demo data of payment interception: a business e-mail compromise case of the Kenyan unit whose
funds hop across three banks — Atlas Bank (a partner whose agreement covers interception, which
freezes part and reports the rest gone), Commerzbank (not a partner, no German unit: the
programme acts) and a Brazilian bank (the Brazilian unit acts) — linked to Operation First Light;
and a romance-scam request of the Jordanian unit that Atlas Bank has not yet acknowledged.

Idempotent: it adds nothing once a request exists.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from accord.core.models import Organisation, User
from accord.interception import services
from accord.interception.models import Institution, InterceptionRequest
from accord.operations.models import Operation
from accord.partners.choices import AgreementKind
from accord.partners.models import Agreement
from accord.partners.services import agreement_amend
from accord.sharing.choices import SubmissionStatus
from accord.sharing.models import Submission
from accord.sharing.services import submission_run

__all__ = ["load"]

ATLAS_BIC = "ATLSAEADXXX"
LEGAL_BASIS = (
    "Computer Misuse and Cybercrimes Act 2018, s. 48 (preservation order); "
    "mutual legal assistance request KE/MLA/2026/114."
)


def load() -> list[Any]:
    if InterceptionRequest.objects.exists():
        return []
    people = {u.username: u for u in User.objects.select_related("organisation")}
    atlas = Organisation.objects.filter(short_name="Atlas Bank").first()
    if atlas is None or not {"k.mwangi", "f.alnuaimi", "analyst", "r.costa", "o.haddad"} <= set(people):
        return []
    _atlas_takes_requests(atlas)
    now = timezone.now().replace(second=0, microsecond=0)
    _bec_case(people, now - timedelta(days=6))
    _romance_scam(people, now)
    # The beneficiaries' observables are read once each request commits; the demo reads them now,
    # so that they correlate from the start (reading one again later is a no-op).
    for submission in Submission.objects.filter(status=SubmissionStatus.QUEUED, filename__startswith="ICP-"):
        submission_run(submission=submission)
    return []


def _atlas_takes_requests(atlas: Organisation) -> None:
    """Atlas Bank's agreement is amended to cover payment interception, and its BIC registered."""
    agreement = Agreement.objects.filter(organisation=atlas, kind=AgreementKind.DATA_SHARING).first()
    if agreement is not None:
        agreement_amend(
            actor=None,
            agreement=agreement,
            change_note="Payment interception: acknowledge within 1 hour, first outcome within 12 hours.",
            terms={"payment_interception": True, "interception_outcome_hours": 12},
        )
    if not Institution.objects.filter(organisation=atlas).exists():
        services.institution_register(actor=None, organisation=atlas, kind="bank", bic=ATLAS_BIC, name="Atlas Bank")


def _bec_case(people: dict[str, User], start: datetime) -> None:
    unit, atlas, analyst, brazil = people["k.mwangi"], people["f.alnuaimi"], people["analyst"], people["r.costa"]
    first = services.interception_raise(
        actor=unit,
        account_kind="account",
        account_number="1019 4471 2208",
        bic=ATLAS_BIC,
        amount="96400.00",
        currency="USD",
        transferred_at=start - timedelta(hours=5),
        victim_bank="Equity Bank Kenya",
        crime_type="bec",
        case_reference="NCU/BEC/2026/0311",
        legal_basis=LEGAL_BASIS,
        now=start,
    )
    services.interception_acknowledge(actor=atlas, request=first, now=start + timedelta(minutes=38))
    services.interception_report(
        actor=atlas,
        request=first,
        kind="frozen",
        amount="38000.00",
        note="Balance held on the mule account; customer due diligence opened.",
        now=start + timedelta(hours=3),
    )
    second = services.interception_report(
        actor=atlas,
        request=first,
        kind="gone",
        amount="58400.00",
        note="Outgoing SWIFT transfer two hours after receipt.",
        onward={
            "account_kind": "iban",
            "iban": "DE89 3704 0044 0532 0130 00",
            "transferred_at": start - timedelta(hours=3),
        },
        now=start + timedelta(hours=3, minutes=10),
    ).onward
    assert second is not None  # noqa: S101 - a "gone" outcome always raises the next request
    services.interception_acknowledge(actor=analyst, request=second, now=start + timedelta(hours=4))
    third = services.interception_report(
        actor=analyst,
        request=second,
        kind="gone",
        amount="57900.00",
        note="Commerzbank confirmed through the German liaison officer: forwarded to Brazil the same day.",
        onward={
            "account_kind": "iban",
            "iban": "BR1800360305000010009795493C1",
            "transferred_at": start - timedelta(hours=1),
        },
        now=start + timedelta(hours=20),
    ).onward
    assert third is not None  # noqa: S101 - as above
    services.interception_acknowledge(actor=brazil, request=third, now=start + timedelta(hours=21))
    services.interception_report(
        actor=brazil,
        request=third,
        kind="recalled",
        amount="12000.00",
        note="Recalled by court order before withdrawal.",
        now=start + timedelta(days=1, hours=6),
    )
    services.interception_report(
        actor=brazil, request=third, kind="closed", note="The account was closed.", now=start + timedelta(days=2)
    )
    operation = Operation.objects.filter(codename="first-light-2026").first()
    if operation is not None:
        services.interception_link_operation(actor=people["manager"], request=first, operation=operation.pk)
    services.interceptions_escalate(now=start + timedelta(days=2))


def _romance_scam(people: dict[str, User], now: datetime) -> None:
    """Raised two hours ago, not yet acknowledged: late, and escalated."""
    services.interception_raise(
        actor=people["o.haddad"],
        account_kind="account",
        account_number="7740 0021 9981",
        bic=ATLAS_BIC,
        amount="18250.00",
        currency="EUR",
        transferred_at=now - timedelta(hours=9),
        victim_bank="Arab Bank",
        crime_type="romance_scam",
        case_reference="JCCU-RS-2026-077",
        legal_basis="Cybercrime Law No. 17 of 2023, art. 31; order of the Amman public prosecutor.",
        now=now - timedelta(hours=2),
    )
    services.interceptions_escalate(now=now)
