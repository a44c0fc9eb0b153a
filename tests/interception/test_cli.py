"""``accord interceptions``: every step from the command line, as a person."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accord.interception.models import InterceptionRequest
from tests.interception.conftest import ABN_IBAN

pytestmark = pytest.mark.django_db


def run(capsys, *args):
    call_command("interceptions", *args)
    return capsys.readouterr().out


def test_every_step_from_the_command_line(world, capsys):
    sent = (timezone.now() - timedelta(hours=3)).isoformat()
    out = run(
        capsys,
        "raise",
        "--as",
        "officer",
        "--account-kind",
        "iban",
        "--iban",
        "DE89370400440532013000",
        "--amount",
        "48500",
        "--currency",
        "eur",
        "--transferred-at",
        sent,
        "--crime-type",
        "bec",
        "--case-reference",
        "BF-2026-0142",
        "--legal-basis",
        "Judicial requisition.",
    )
    request = InterceptionRequest.objects.get()
    assert f"{request.reference} sent to Commerzbank (partner)" in out
    assert "acknowledgement" in run(capsys, "waiting", "--as", "commerz")
    assert "acknowledged" in run(capsys, "acknowledge", request.reference, "--as", "commerz")
    out = run(
        capsys,
        "report",
        request.reference,
        "--as",
        "commerz",
        "--kind",
        "gone",
        "--amount",
        "28500",
        "--onward-account-kind",
        "iban",
        "--onward-iban",
        ABN_IBAN,
        "--onward-transferred-at",
        (timezone.now() - timedelta(hours=1)).isoformat(),
    )
    onward = InterceptionRequest.objects.get(parent=request)
    assert f"next request {onward.reference} to Dutch High Tech Crime Unit" in out
    shown = run(capsys, "show", request.reference, "--as", "officer")
    assert onward.reference in shown and "outcome gone 28500.00 EUR" in shown
    assert "withdrawn" in run(capsys, "withdraw", onward.reference, "--as", "officer", "--reason", "Recalled.")
    with pytest.raises(CommandError, match="Only the organisation that raised"):
        run(capsys, "withdraw", request.reference, "--as", "commerz", "--reason", "x")


def test_bad_input_names_the_field(world, capsys):
    with pytest.raises(CommandError, match="iban: 'DE00' is not a valid IBAN"):
        run(
            capsys,
            "raise",
            "--as",
            "officer",
            "--account-kind",
            "iban",
            "--iban",
            "DE00",
            "--amount",
            "1",
            "--currency",
            "EUR",
            "--transferred-at",
            timezone.now().isoformat(),
            "--crime-type",
            "bec",
            "--case-reference",
            "x",
            "--legal-basis",
            "y",
        )
    with pytest.raises(CommandError, match="--as: no person called 'nobody'"):
        run(capsys, "list", "--as", "nobody")
    assert not InterceptionRequest.objects.exists()


def test_the_institution_directory(world, capsys):
    out = run(capsys, "institution", "--org", "ABN", "--kind", "exchange", "--name", "ABN Crypto Desk")
    assert "ABN Crypto Desk (exchange) routes to ABN AMRO" in out
    with pytest.raises(CommandError, match="bic: COBADEFF is already registered"):
        run(capsys, "institution", "--org", "ABN", "--kind", "bank", "--bic", "COBADEFFXXX")
