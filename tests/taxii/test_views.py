"""The TAXII pages: the collections a person may use, each with its URL and how to connect."""

from __future__ import annotations

import pytest

from accord.taxii.models import Collection
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_the_collections_page_lists_what_the_person_may_use(client, sharer, inbox, people):
    client.login(username="partner_contributor", password=TEST_PASSWORD)
    page = client.get("/taxii/").content.decode()
    assert "http://testserver/taxii2/" in page
    assert inbox.title in page and "Everything you may see" in page
    client.login(username="analyst", password=TEST_PASSWORD)
    assert inbox.title not in client.get("/taxii/").content.decode()
    assert client.get(f"/taxii/{inbox.pk}/").status_code == 404


def test_a_collection_page_says_how_to_connect(client, sharer, inbox):
    client.login(username="partner_contributor", password=TEST_PASSWORD)
    page = client.get(f"/taxii/{inbox.pk}/").content.decode()
    assert f"http://testserver/taxii2/api/collections/{inbox.pk}/" in page
    assert "from taxii2client.v21 import Collection" in page and "add_objects" in page
    shared = Collection.objects.get(alias="shared")
    page = client.get(f"/taxii/{shared.alias}/").content.decode()
    assert "as_pages(collection.get_objects" in page and "add_objects" not in page


def test_the_pages_need_a_login(client, sharer):
    assert client.get("/taxii/").status_code == 302


def test_an_unknown_taxii_path_answers_a_taxii_error(client, sharer):
    response = client.get("/taxii2/api/collections/x/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/taxii+json;version=2.1"
    assert response.json()["http_status"] == "404"
