"""Withheld data does not travel in free text: a free-text submission's context sentences, read
through every interface by a partner from whom the originator's agreement withholds personal
data and financial identifiers, carry none of those values, and read the same as a text with
other values in their place; the host and the originator still read them, and only reads that
return personal data are logged as consultations."""

from __future__ import annotations

import io
from typing import Any

import orjson

from accord.core.models import AuditEvent
from accord.sharing.models import StixObject
from accord.taxii.models import Collection
from tests.taxii.conftest import Taxii, secret_for

OBJECTS = "/api/v1/objects/"
OBSERVABLES = "/api/v1/observables/"
EXPORT = "/api/v1/exports/stix/"
SUBMISSIONS = "/api/v1/submissions/"

# The scenario: a mule's phone number, an IBAN and e-mail addresses (one the search
# takes as an observable, one at a reserved domain it does not) in the sentence of a phishing URL.
TEXT = (
    "Victims were told: send to +971 50 123 9999, paid into GB29 NWBK 6016 1331 9268 19, "
    "mail ops@evil-payments.example or billing@evil-payments.com before logging in at "
    "hxxps://evil-payments[.]com/login.\n"
)
# What the partner must not learn, in every spelling the text or the store uses.
SECRETS = (
    b"+971",
    b"123 9999",
    b"1239999",
    b"GB29",
    b"NWBK",
    b"ops@",
    b"billing@",
    b"evil-payments.example",
)
# The same text with other values: a wrong guess at what was withheld.
DECOY = (
    "Victims were told: send to +44 20 7946 0958, paid into GB82 WEST 1234 5698 7654 32, "
    "mail desk@evil-payments.example or cash@evil-payments.com before logging in at "
    "hxxps://evil-payments[.]com/login.\n"
)
# Stamps differ from one submission to the next, and the free-text reader mints ids from the
# values (what an id may reveal is the identifiers' own concern): what is compared is
# everything else a reader receives.
VOLATILE = {
    "id",
    "stix_id",
    "created",
    "modified",
    "valid_from",
    "added_at",
    "expires_at",
    "retain_until",
    "version",
    "first_seen",
    "last_seen",
}


def submit(api_for: Any, user: Any, text: str) -> None:
    upload = io.BytesIO(text.encode())
    upload.name = "report.txt"
    response = api_for(user).post(f"{SUBMISSIONS}?format=text&tlp=green", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()


def reads(api_for: Any, client: Any, user: Any) -> dict[str, list[bytes]]:
    """Every response body ``user`` gets for the shared objects: the objects API (list and each
    object), the observables API and page, the /shared/ pages (list and each object), TAXII and
    the STIX export."""
    api = api_for(user)
    listed = api.get(OBJECTS, {"page_size": 100})
    ids = sorted({o["stix_id"] for o in listed.json()["results"]})
    client.force_login(user)
    taxii = Taxii(user, secret_for(user))
    shared = Collection.objects.get(alias="shared").pk
    bodies = {
        "api": [listed.content, *(api.get(f"{OBJECTS}{i}/").content for i in ids)],
        "observables": [api.get(OBSERVABLES, {"page_size": 100}).content, client.get("/observables/").content],
        "web": [client.get("/shared/").content, *(client.get(f"/shared/{i}/").content for i in ids)],
        "taxii": [taxii.get(f"collections/{shared}/objects/").content],
        "export": [b"".join(api.get(EXPORT).streaming_content)],
    }
    client.logout()
    return bodies


def seen(api_for: Any, user: Any) -> list[Any]:
    """What ``user`` receives of the objects, through the API and TAXII, without what changes
    from one submission to the next."""

    def stable(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: stable(v) for k, v in sorted(value.items()) if k not in VOLATILE}
        if isinstance(value, list):
            return sorted((stable(v) for v in value), key=repr)
        return value

    api = api_for(user)
    listed = api.get(OBJECTS, {"page_size": 100}).json()["results"]
    served = Taxii(user, secret_for(user)).get(f"collections/{Collection.objects.get(alias='shared').pk}/objects/")
    exported = orjson.loads(b"".join(api.get(EXPORT).streaming_content))["objects"]
    return [
        stable(listed),
        stable(api.get(OBSERVABLES, {"page_size": 100}).json()["results"]),
        stable(served.json().get("objects", [])),
        stable([o for o in exported if o["type"] not in ("identity", "marking-definition", "extension-definition")]),
    ]


def test_a_withheld_phone_number_iban_and_e_mail_appear_in_no_response_to_the_partner(api_for, client, scene):
    submit(api_for, scene["a"], TEXT)
    for interface, bodies in reads(api_for, client, scene["b"]).items():
        for body in bodies:
            for secret in SECRETS:
                assert secret not in body, (interface, secret, body[:2000])
    for who in ("host", "a"):  # the host and the originator read them all
        for interface, bodies in reads(api_for, client, scene[who]).items():
            if interface == "observables":
                continue  # the reserved-domain address is no observable
            text = b"".join(bodies)
            for secret in (b"+971501239999", b"GB29NWBK60161331926819", b"ops@evil-payments.example"):
                assert secret in text, (who, interface, secret)


def test_the_partner_reads_the_same_whatever_values_were_withheld(api_for, scene):
    """The technical indicators keep their sentence with the values masked, and the withheld
    ones are the same empty shells: the partner cannot tell the text from a wrong guess."""
    submit(api_for, scene["a"], TEXT)
    partner_view, host_view = seen(api_for, scene["b"]), seen(api_for, scene["host"])
    StixObject.objects.all().delete()  # the store emptied, to hold the other text alone
    submit(api_for, scene["a"], DECOY)
    assert seen(api_for, scene["b"]) == partner_view
    assert seen(api_for, scene["host"]) != host_view  # the host does tell them apart
    sentences = {o["body"].get("description") for o in partner_view[0]}
    assert sentences == {
        None,  # the phone number, the IBAN and the e-mail address: withheld with their sentence
        "Victims were told: send to [phone number], paid into [IBAN], mail [e-mail address] or "
        "[e-mail address] before logging in at hxxps://evil-payments[.]com/login.",
    }


def test_e_mail_addresses_from_text_are_personal_data(api_for, scene):
    submit(api_for, scene["a"], TEXT)
    categories = {
        o["body"]["name"].split()[0]: o["data_category"]
        for o in api_for(scene["host"]).get(OBJECTS, {"page_size": 100}).json()["results"]
    }
    assert categories == {
        "phone": "personal_data",
        "email": "personal_data",
        "iban": "financial_identifier",
        "url": "technical_indicator",
        "domain": "technical_indicator",
    }


def test_only_reads_that_return_personal_data_are_logged(api_for, client, scene):
    """The partner reads every interface and receives no personal data: nothing is logged. The
    host's and the originator's reads return it: each interface logs who read which objects."""
    submit(api_for, scene["a"], TEXT)
    events = AuditEvent.objects.filter(action="personal_data.consulted")
    reads(api_for, client, scene["b"])
    assert not events.exists()
    personal = sorted(
        StixObject.objects.filter(data_category="personal_data").values_list("stix_id", flat=True).distinct()
    )
    assert len(personal) == 2  # the phone number and the e-mail address the search took
    for who in ("host", "a"):
        before = events.count()
        reads(api_for, client, scene[who])
        logged = list(events.order_by("seq")[before:])
        assert {e.actor for e in logged} == {scene[who]}
        vias = [e.details["via"] for e in logged]
        # the list and both objects through the API and the web pages, the observables through
        # both, one TAXII page and the export
        assert sorted(vias) == sorted(["api"] * 4 + ["web"] * 4 + ["taxii", "export"]), vias
        for event in logged:
            if event.details["objects"]:
                assert set(event.details["objects"]) <= set(personal)
        assert {o for e in logged for o in e.details["objects"]} == set(personal)
