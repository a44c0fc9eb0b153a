"""``accord taxii sync`` and ``list``: the standard collections, created once."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from accord.taxii.demo import load
from accord.taxii.models import Collection
from tests.factories import make_agreement

pytestmark = pytest.mark.django_db


def test_sync_creates_the_standard_collections_once_and_list_shows_them(partner, other_partner):
    make_agreement(partner)
    out = io.StringIO()
    call_command("taxii", "sync", stdout=out)
    assert "7 collection(s) created" in out.getvalue()  # everything, five regions, one inbox
    assert Collection.objects.get(kind="inbox").organisation == partner
    call_command("taxii", "sync", stdout=out)
    assert "0 collection(s) created" in out.getvalue()
    make_agreement(other_partner)
    call_command("taxii", "sync", stdout=io.StringIO())
    assert Collection.objects.filter(kind="inbox").count() == 2
    listing = io.StringIO()
    call_command("taxii", "list", stdout=listing)
    assert "region-europe" in listing.getvalue() and "shared" in listing.getvalue()


def test_the_demo_adds_an_operation_collection_beside_the_standard_ones(partner):
    make_agreement(partner)
    load()
    load()  # idempotent
    aliases = set(Collection.objects.values_list("alias", flat=True))
    assert {"shared", "region-africa", "operation-first-light", f"inbox-{partner.pk}"} <= aliases
    assert Collection.objects.get(alias="operation-first-light").spec == {"crime_type": ["bec", "phishing"]}
