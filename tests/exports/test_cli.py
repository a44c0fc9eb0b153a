"""``accord export``: the same selectors and checks as the API, acting as the named person."""

from __future__ import annotations

import io

import orjson
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from stix2validator import ValidationOptions, validate_file

from accord.core.models import AuditEvent
from tests.exports.conftest import IBAN, RED_ID


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_export_to_a_file_as_a_person(shared, tmp_path):
    target = tmp_path / "bundle.json"
    out, err = run("--format", "stix", "--as", "partner_reader", "--output", str(target))
    assert out == "" and "Exported 8 object(s) as stix to" in err
    assert validate_file(str(target), ValidationOptions()).is_valid
    ids = {o["id"] for o in orjson.loads(target.read_bytes())["objects"]}
    assert "indicator--00000000-0000-4000-8000-000000000001" in ids and RED_ID not in ids
    assert IBAN not in target.read_text()
    assert AuditEvent.objects.filter(action="export.complete", actor__username="partner_reader").exists()


def test_filters_and_standard_output(shared):
    out, _ = run("--format", "blocklist", "--observable-type", "ipv4", "--as", "analyst", "--tlp", "green")
    assert [line for line in out.splitlines() if not line.startswith("#")] == ["91.215.85.203"]
    out, _ = run("--format", "csv", "--as", "analyst", "--crime-type", "phishing", "--purpose", "prevention")
    assert out.count("\n") == 3


def test_errors_name_what_is_wrong(shared):
    with pytest.raises(CommandError, match="formats: blocklist, csv, misp, rpz, snort, stix, suricata"):
        run("--format", "pdf", "--as", "analyst")
    with pytest.raises(CommandError, match="--as: no person called 'nobody'"):
        run("--format", "stix", "--as", "nobody")
    with pytest.raises(CommandError, match="^tlp: "):
        run("--format", "stix", "--as", "analyst", "--tlp", "purple")
    with pytest.raises(CommandError, match="^added_after: "):
        run("--format", "csv", "--as", "analyst", "--added-after", "soon")
