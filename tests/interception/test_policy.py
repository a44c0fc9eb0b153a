"""Who sees a request, through every interface: the unit whose case it is, the organisation that
raised it, the addressee (while they may receive shared data) and the programme's staff; nobody
else, not even that it exists, not even through its webhooks. Every reading is logged as a
consultation of personal data."""

from __future__ import annotations

import orjson
import pytest
from django.core.management import call_command
from django.test import Client

from accord.core.models import AuditEvent
from accord.interception.events import EVENTS
from tests.factories import TEST_PASSWORD
from tests.interception.conftest import API, raise_body
from tests.notifications.conftest import receiver  # noqa: F401 - the webhook receiver fixture

pytestmark = pytest.mark.django_db

SEES = {
    "unit": True,  # whose case it is
    "unit_reader": True,
    "commerz": True,  # the addressee
    "commerz_reader": True,
    "analyst": True,  # the programme
    "auditor": True,
    "abn": False,  # another bank
    "nl_unit": False,  # another unit
    "exchange": False,
    "bystander": False,  # a security vendor
}


@pytest.fixture
def request_ref(world, api_for):
    response = api_for(world["who"]["unit"]).post(API, raise_body(), format="json")
    assert response.status_code == 201
    return response.json()["reference"]


def _user(world, people, who):
    return world["who"].get(who) or people[who]


def _consulted(user, reference):
    events = AuditEvent.objects.filter(action="personal_data.consulted", actor=user)
    return any(reference in event.details.get("interceptions", []) for event in events)


@pytest.mark.parametrize(("who", "sees"), SEES.items())
def test_api(world, people, api_for, request_ref, who, sees):
    user = _user(world, people, who)
    client = api_for(user)
    listed = [r["reference"] for r in client.get(API).json()["results"]]
    assert (request_ref in listed) is sees
    detail = client.get(f"{API}{request_ref}/")
    assert detail.status_code == (200 if sees else 404)
    assert client.get(f"{API}{request_ref}/chain/").status_code == (200 if sees else 404)
    assert client.get(f"{API}{request_ref}/outcomes/").status_code == (200 if sees else 404)
    assert _consulted(user, request_ref) is sees
    if sees:
        assert detail.json()["iban"] == "DE89370400440532013000"


@pytest.mark.parametrize(("who", "sees"), SEES.items())
def test_pages(world, people, request_ref, who, sees):
    user = _user(world, people, who)
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    listing = client.get("/interceptions/")
    assert listing.status_code == 200
    assert (request_ref in listing.content.decode()) is sees
    page = client.get(f"/interceptions/{request_ref}/")
    assert page.status_code == (200 if sees else 404)
    if sees:
        assert "DE89370400440532013000" in page.content.decode()
        assert "<svg" in page.content.decode()
    assert _consulted(user, request_ref) is sees


@pytest.mark.parametrize(("who", "sees"), SEES.items())
def test_cli(world, people, request_ref, who, sees, capsys):
    user = _user(world, people, who)
    call_command("interceptions", "list", "--as", user.username)
    assert (request_ref in capsys.readouterr().out) is sees
    if sees:
        call_command("interceptions", "show", request_ref, "--as", user.username)
        assert "Commerzbank" in capsys.readouterr().out
    else:
        with pytest.raises(Exception, match="may not see it"):
            call_command("interceptions", "show", request_ref, "--as", user.username)
    assert _consulted(user, request_ref) is sees


def test_a_partner_whose_agreement_is_suspended_no_longer_sees_what_was_addressed_to_it(world, api_for, request_ref):
    agreement = world["commerz"].agreements.get()
    agreement.status = "suspended"
    agreement.save()
    assert api_for(world["who"]["commerz"]).get(f"{API}{request_ref}/").status_code == 404


def test_anonymous_sees_nothing(anon, request_ref):
    assert anon.get(API).status_code == 401
    assert anon.get(f"{API}{request_ref}/").status_code == 401
    assert Client().get(f"/interceptions/{request_ref}/").status_code == 302  # to the login page


def test_the_list_reads_in_a_bounded_number_of_queries(world, api_for, django_assert_max_num_queries):
    client = api_for(world["who"]["unit"])
    for amount in ("10", "20", "30", "40"):
        assert client.post(API, raise_body(amount=amount), format="json").status_code == 201
    with django_assert_max_num_queries(14):
        response = client.get(API)
    assert response.json()["count"] == 4


def test_webhooks(world, api_for, receiver, django_capture_on_commit_callbacks):  # noqa: F811 - the fixture
    """A webhook of the addressee bank, the requesting unit, another partner bank and a security
    vendor, each taking every interception event, on a real receiver: the request's events reach
    the addressee's and the raiser's alone, and each names only what its organisation may read."""
    hooks = {}
    for who in ("commerz", "unit", "abn", "bystander"):
        made = api_for(world["who"][who]).post(
            "/api/v1/webhooks/",
            {
                "name": "soc",
                "url": f"{receiver.url}/{who}",
                "event_types": [f"interception.{key}" for key in EVENTS],
            },
            format="json",
        )
        assert made.status_code == 201, made.json()
        hooks[who] = made.json()
    unit, bank = api_for(world["who"]["unit"]), api_for(world["who"]["commerz"])
    with django_capture_on_commit_callbacks(execute=True):
        raised = unit.post(API, raise_body(), format="json")
    assert raised.status_code == 201
    reference = raised.json()["reference"]
    with django_capture_on_commit_callbacks(execute=True):
        assert bank.post(f"{API}{reference}/acknowledge/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        outcome = bank.post(f"{API}{reference}/outcomes/", {"kind": "frozen", "amount": "20000"}, format="json")
        assert outcome.status_code == 201

    received = {who: [r for r in receiver.received if r.path.endswith(f"/{who}")] for who in hooks}
    events = {who: [r.headers["x-accord-event"] for r in got] for who, got in received.items()}
    assert events["commerz"] == ["interception.raised"]
    assert events["unit"] == ["interception.acknowledged", "interception.outcome"]
    assert events["abn"] == [] and events["bystander"] == []  # not even that a request exists
    outsiders = [world[o].name for o in ("abn", "nl_unit", "exchange")] + [world["who"]["bystander"].organisation.name]
    for who in ("commerz", "unit"):
        client = api_for(world["who"][who])
        detail = client.get(f"{API}{reference}/")
        assert detail.status_code == 200  # each recipient may read what it is told of
        for got in received[who]:
            event = orjson.loads(got.body)
            assert event["organisation"] == world["who"][who].organisation.name
            assert event["data"] == {"reference": reference, "event": event["type"].split(".", 1)[1]}
            assert event["link"].endswith(f"/interceptions/{reference}/")
            text = got.body.decode()
            assert not [name for name in outsiders if name in text]
            # no account, amount or case detail travels in the event: the page holds them, logged
            for secret in ("DE89", "48500", "48,500", "BF-2026-0142", "Banque Régionale"):
                assert secret not in text, (who, secret)
