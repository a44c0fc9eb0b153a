"""The registry of collection kinds and spec keys: TAXII serves the collections of the apps above
it (operations, intelligence reports, campaigns) without importing them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db.models import Q

from accord.core.errors import ValidationFailed
from accord.taxii import kinds
from accord.taxii.services import collection_create

TAXII = Path(kinds.__file__).parent


def test_taxii_imports_neither_analysis_nor_operations():
    imported = set()
    for path in TAXII.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add((node.module, path.name))
            elif isinstance(node, ast.Import):
                imported.update((alias.name, path.name) for alias in node.names)
    above = (["accord", "analysis"], ["accord", "operations"])
    upper = sorted((m, f) for m, f in imported if m.split(".")[:2] in above)
    assert upper == []


def test_the_apps_above_register_their_kinds_and_keys():
    assert kinds.known_kinds() == ["inbox", "all", "region", "operation", "report"]
    assert [k for k in ("inbox", "all", "region", "operation", "report") if kinds.kind_has_readers(k)] == [
        "operation",
        "report",
    ]
    assert kinds.spec_key_names()[-1] == "campaign" and kinds.is_naming_key("campaign")
    assert kinds.is_naming_key("stix_id") and not kinds.is_naming_key("region")


@pytest.mark.django_db
def test_an_unregistered_kind_or_key_is_refused(monkeypatch):
    monkeypatch.delitem(kinds._KINDS, "report")
    with pytest.raises(ValidationFailed, match="kind: one of inbox, all, region, operation."):
        collection_create(kind="report", alias="report-1", title="Report")
    with pytest.raises(ValidationFailed, match="Unknown key 'sector'"):
        collection_create(kind="all", alias="by-sector", title="Sector", spec={"sector": ["banking"]})
    with pytest.raises(ValidationFailed, match="readers: only"):
        collection_create(kind="region", alias="region-x", title="Region", readers=[object()])  # type: ignore[list-item]


@pytest.mark.django_db
def test_a_registered_key_narrows_or_names(monkeypatch):
    monkeypatch.setitem(kinds._KEYS, "sector", kinds.SpecKey(condition=lambda values: Q(type__in=values)))
    collection = collection_create(kind="all", alias="by-sector", title="Sector", spec={"sector": ["malware"]})
    assert collection.spec == {"sector": ["malware"]}
    with pytest.raises(ValueError, match="one of TAXII's own spec keys"):
        kinds.register_spec_key("region", condition=lambda values: Q())
