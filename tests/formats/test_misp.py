"""The MISP reader: attributes and objects to STIX 2.1, tlp tags, errors that say where."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import orjson
import pytest

from accord.formats.base import READERS, ParsedObject, ReadError, detect_format
from accord.formats.misp import ATTRIBUTE_TYPES, MispReader

EVENT = (Path(__file__).parent.parent / "data" / "misp_event.json").read_bytes()


def read(data: bytes) -> list[ParsedObject | ReadError]:
    return list(MispReader().read(io.BytesIO(data)))


def test_detects_misp():
    assert detect_format(EVENT[:4096]) == "misp"


def test_attributes_and_objects_become_stix_with_normalised_observables():
    parsed = read(EVENT)
    assert all(isinstance(p, ParsedObject) for p in parsed), parsed
    mentions = [(m.type, m.value) for p in parsed for m in p.mentions]
    assert mentions == [
        ("ipv4", "203.0.113.7"),
        ("domain", "login-bank.example.com"),
        ("url", "http://login-bank.example.com/verify"),
        ("phone", "+442079460958"),
        ("xmr", "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"),
        ("iban", "GB82WEST12345698765432"),
        ("btc", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"),
    ]
    first = parsed[0].stix
    # The attribute's uuid is public: the STIX id is minted from it under the submitter's key,
    # and the uuid itself is kept for the MISP export.
    assert first["id"].startswith("indicator--") and "8b0e2d4c-6f1a-4c3e-9a7b-1d2c3e4f5a61" not in first["id"]
    assert first["x_misp_attribute"]["uuid"] == "8b0e2d4c-6f1a-4c3e-9a7b-1d2c3e4f5a61"
    assert first["pattern"] == "[ipv4-addr:value = '203.0.113.7']"
    assert first["description"] == "C2 of the scam site"
    assert [p.tlp for p in parsed][:3] == ["amber", "amber", "red"]  # attribute tags override the event's
    bank = parsed[5].stix
    assert (bank["type"], bank["iban"], bank["bic"]) == ("x-accord-bank-account", "GB82WEST12345698765432", "WESTGB2L")
    wallet = parsed[6].stix
    assert (wallet["type"], wallet["currency"]) == ("x-accord-crypto-wallet", "btc")


def _event(**changes: object) -> bytes:
    event = orjson.loads(EVENT)
    event["Event"].update(changes)
    return orjson.dumps(event)


@pytest.mark.parametrize(
    ("data", "where", "field", "words"),
    [
        (b'{"Event": {', "event", "json", "malformed JSON"),
        (b'{"type": "bundle"}', "event", "Event", "not a MISP event"),
        (
            _event(Attribute=[{"type": "iban", "category": "Financial fraud", "value": "DE89370400440532013001"}]),
            "event 0, attribute 0",
            "value",
            "IBAN",
        ),
        (
            _event(Attribute=[{"type": "ip-dst", "category": "Network activity", "value": "203.0.113.999"}]),
            "event 0, attribute 0",
            "value",
            "203.0.113.999",
        ),
        (
            _event(
                Attribute=[],
                Object=[
                    {
                        "name": "coin-address",
                        "Attribute": [
                            {"type": "text", "object_relation": "symbol", "value": "DOGE"},
                            {"type": "btc", "object_relation": "address", "value": "D7Y55"},
                        ],
                    }
                ],
            ),
            "event 0, object 0 (coin-address)",
            "symbol",
            "DOGE",
        ),
    ],
)
def test_errors(data, where, field, words):
    error = next(item for item in read(data) if isinstance(item, ReadError))
    assert error.where.startswith(where)
    assert error.field == field
    assert words.lower() in error.message.lower()


def test_only_composite_attribute_types_are_split_on_the_bar():
    attributes = [
        {"type": "url", "category": "Network activity", "value": "http://a.example.com/x?q=1|2"},
        {"type": "filename|md5", "category": "Payload delivery", "value": "a.exe|" + "ab" * 16},
        {"type": "domain|ip", "category": "Network activity", "value": "b.example.com|198.51.100.4"},
    ]
    items = read(orjson.dumps({"Event": {"info": "bars", "Attribute": attributes}}))
    assert [m.value for item in items if isinstance(item, ParsedObject) for m in item.mentions] == [
        "http://a.example.com/x?q=1|2",
        "ab" * 16,
        "b.example.com",
    ]


def test_every_misp_attribute_type_is_taken():
    """Every type of MISP's describeTypes (PyMISP ships it): normalised ones as indicators, the
    rest kept as they are."""
    import json

    import pymisp

    described = json.loads((Path(pymisp.__file__).parent / "data" / "describeTypes.json").read_text())["result"]
    unmapped = [t for t in described["types"] if t not in ATTRIBUTE_TYPES]
    attributes = [
        {"uuid": str(uuid.UUID(int=n + 1)), "type": t, "category": described["sane_defaults"][t]["default_category"],
         "value": "2026-05-01T10:00:00+00:00" if t == "datetime" else f"value {n}"}
        for n, t in enumerate(unmapped)
    ]  # fmt: skip
    items = read(orjson.dumps({"Event": {"info": "every type", "date": "2026-05-01", "Attribute": attributes}}))
    assert not [item for item in items if isinstance(item, ReadError)]
    kept = [item.stix for item in items if item.stix["type"] == "x-misp-attribute"]
    assert [(k["x_misp_attribute"]["type"], k["x_misp_attribute"]["value"]) for k in kept] == [
        (a["type"], a["value"]) for a in attributes
    ]
    assert len(unmapped) + len(ATTRIBUTE_TYPES) >= 190


def test_a_bad_attribute_is_an_error_of_its_own_and_the_rest_is_read():
    attributes = [
        {"type": "ip-dst", "category": "Network activity", "value": "203.0.113.999"},
        {"type": "text", "category": "Other", "value": "dropper notes"},
        {"type": "link", "category": "External analysis", "value": "internal wiki page 12"},
        {"type": "domain", "category": "Network activity", "value": "c2.example.net"},
    ]
    items = read(orjson.dumps({"Event": {"info": "mixed", "Attribute": attributes}}))
    errors = [item for item in items if isinstance(item, ReadError)]
    assert [(e.where.split(" (")[0], e.field) for e in errors] == [("event 0, attribute 0", "value")]
    assert "203.0.113.999" in errors[0].message
    read_ok = [item.stix for item in items if isinstance(item, ParsedObject)]
    assert [o["type"] for o in read_ok] == ["x-misp-attribute", "x-misp-attribute", "indicator", "report"]
    assert read_ok[-1]["object_refs"] == [o["id"] for o in read_ok[:-1]]


def test_real_files_with_a_byte_order_mark_read_as_without_one():
    """Windows tools write UTF-8 with a byte-order mark: a real MISP event and a real STIX bundle
    so marked are recognised and read exactly as without it."""
    real = Path(__file__).parent.parent / "data" / "realdata"
    for name, kind in (("misp-very_long_event.json", "misp"), ("stix-indicator-for-c2-ip-address.json", "stix")):
        plain = (real / name).read_bytes().removeprefix(b"\xef\xbb\xbf")
        marked = b"\xef\xbb\xbf" + plain
        assert detect_format(marked[:4096]) == detect_format(plain[:4096]) == kind
        reader = READERS[kind]
        without, with_mark = (list(reader().read(io.BytesIO(data))) for data in (plain, marked))
        assert with_mark and all(isinstance(item, ParsedObject) for item in with_mark), with_mark[:1]
        assert [(i.where, i.stix) for i in with_mark] == [(i.where, i.stix) for i in without]
