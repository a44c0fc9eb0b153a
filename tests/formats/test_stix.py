"""The STIX 2.1 reader: required properties, identifiers, markings, patterns, streaming."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.formats import patterns, stix
from accord.formats.base import ParsedObject, ReadError, detect_format
from accord.formats.markings import TLP2_IDS
from accord.formats.stix import StixReader
from tests.stix_samples import BUNDLE_ID, indicator


def read(objects: list[Any], **bundle: Any) -> list[ParsedObject | ReadError]:
    body = {"type": "bundle", "id": BUNDLE_ID, "objects": objects} | bundle
    return list(StixReader().read(io.BytesIO(orjson.dumps(body))))


def test_detects_a_bundle():
    assert detect_format(b'{"type": "bundle", "id": "bundle--x"') == "stix"


def test_equality_patterns_take_the_fast_path_and_are_normalised():
    (parsed,) = read([indicator(1, "[ipv4-addr:value = '203.0.113.7'] OR [domain-name:value = 'Evil.EXAMPLE.com']")])
    assert isinstance(parsed, ParsedObject)
    assert {(m.type, m.value) for m in parsed.mentions} == {("ipv4", "203.0.113.7"), ("domain", "evil.example.com")}


def test_complex_patterns_go_through_stix2_patterns():
    pattern = (
        "([file:hashes.'SHA-256' = 'AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F'] AND "
        "[url:value LIKE 'http://%']) WITHIN 600 SECONDS"
    )
    (parsed,) = read([indicator(1, pattern)])
    assert [(m.type, m.value) for m in parsed.mentions] == [
        ("sha256", "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f")
    ]


def test_cyber_observables_and_custom_ones():
    objects = [
        {"type": "ipv6-addr", "id": "ipv6-addr--00000000-0000-4000-8000-000000000001", "value": "2001:DB8::0:1"},
        {
            "type": "file",
            "id": "file--00000000-0000-4000-8000-000000000002",
            "hashes": {"MD5": "D41D8CD98F00B204E9800998ECF8427E", "SSDEEP": "3:abc"},
        },
        {
            "type": "x-accord-bank-account",
            "id": "x-accord-bank-account--00000000-0000-4000-8000-000000000003",
            "iban": "DE89 3704 0044 0532 0130 00",
            "bic": "COBADEFFXXX",
        },
        {
            "type": "x-accord-crypto-wallet",
            "id": "x-accord-crypto-wallet--00000000-0000-4000-8000-000000000004",
            "currency": "btc",
            "address": "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
        },
        {
            "type": "x-accord-phone-number",
            "id": "x-accord-phone-number--00000000-0000-4000-8000-000000000005",
            "number": "+44 20 7946 0958",
        },
    ]
    mentions = [(m.type, m.value) for parsed in read(objects) for m in parsed.mentions]
    assert mentions == [
        ("ipv6", "2001:db8::1"),
        ("md5", "d41d8cd98f00b204e9800998ecf8427e"),
        ("iban", "DE89370400440532013000"),
        ("btc", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"),
        ("phone", "+442079460958"),
    ]


def test_markings_tlp2_and_tlp1_mapped():
    amber = indicator(1, "[ipv4-addr:value = '198.51.100.1']", object_marking_refs=[TLP2_IDS["amber"]])
    white = indicator(
        2,
        "[ipv4-addr:value = '198.51.100.2']",
        object_marking_refs=["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"],
    )
    both = indicator(3, "[ipv4-addr:value = '198.51.100.3']", object_marking_refs=[TLP2_IDS["green"], TLP2_IDS["red"]])
    assert [p.tlp for p in read([amber, white, both])] == ["amber", "clear", "red"]


@pytest.mark.parametrize(
    ("obj", "field", "words"),
    [
        (indicator(1, "[ipv4-addr:value = '1.2.3.4']", spec_version="2.0"), "spec_version", '"2.1"'),
        (indicator(1, "[ipv4-addr:value = '1.2.3.4']", id="indicator--not-a-uuid"), "id", "not a UUID"),
        (
            indicator(1, "[ipv4-addr:value = '1.2.3.4']", id="malware--00000000-0000-4000-8000-000000000001"),
            "id",
            "names type 'malware'",
        ),
        (indicator(1, "[ipv4-addr:value = '1.2.3.4']", created="yesterday"), "created", "RFC 3339"),
        (
            {k: v for k, v in indicator(1, "[ipv4-addr:value = '1.2.3.4']").items() if k != "valid_from"},
            "valid_from",
            "required",
        ),
        (indicator(1, "[ipv4-addr:value = '1.2.3.999']"), "pattern", "IPv4"),
        (indicator(1, "[ipv4-addr:value = '1.2.3.4' AND"), "pattern", "not a valid STIX pattern"),
        ({"type": "Indicator", "id": "x"}, "type", "STIX type name"),
        ({"type": "ipv4-addr", "id": "ipv4-addr--00000000-0000-4000-8000-000000000001"}, "value", "required"),
    ],
)
def test_errors_name_the_object_index_and_the_field(obj, field, words):
    good = indicator(9, "[ipv4-addr:value = '192.0.2.1']")
    results = read([good, obj])
    error = results[-1]
    assert isinstance(error, ReadError)
    assert error.where.startswith("object 1")
    assert error.field == field
    assert words in error.message


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (b'{"type": "bundle", "objects": [', "json", "malformed JSON"),
        (b'{"type": "report"}', "type", "not STIX 2.1: expected a bundle"),
        (b'{"type": "report", "spec_version": "2.1", "id": "indicator--x"}', "type", "or one STIX 2.1 object"),
        (
            orjson.dumps({"type": "bundle", "id": BUNDLE_ID, "spec_version": "2.0", "objects": []}),
            "spec_version",
            "2.0",
        ),
        (orjson.dumps({"type": "bundle", "id": "bundle--nope", "objects": []}), "id", "not a UUID"),
    ],
)
def test_bundle_level_errors(body, field, words):
    (error,) = list(StixReader().read(io.BytesIO(body)))
    assert isinstance(error, ReadError)
    assert (error.field, words in error.message) == (field, True)


def test_large_bundles_stream_with_the_same_result(monkeypatch):
    objects = [indicator(n, f"[ipv4-addr:value = '10.0.{n // 256}.{n % 256}']") for n in range(300)]
    whole = read(objects)
    monkeypatch.setattr(stix, "STREAM_THRESHOLD", 10)
    streamed = read(objects)
    assert [(p.where, p.mentions) for p in streamed] == [(p.where, p.mentions) for p in whole]
    monkeypatch.setattr(stix, "STREAM_THRESHOLD", 10)
    (error,) = list(
        StixReader().read(io.BytesIO(b'{"type": "bundle", "id": "' + BUNDLE_ID.encode() + b'", "objects": [{'))
    )
    assert error.field == "json"


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ({"objects": [indicator(1, "[ipv4-addr:value = '10.0.0.1']")], "type": "bundle", "id": BUNDLE_ID}, 1),
        ({"objects": [indicator(1, "[ipv4-addr:value = '10.0.0.1']")], "id": BUNDLE_ID}, 0),
        ({"type": "bundle", "id": BUNDLE_ID, "spec_version": "2.0", "objects": []}, 0),
    ],
)
def test_streamed_bundles_are_checked_wherever_their_properties_are(monkeypatch, body, found):
    monkeypatch.setattr(stix, "STREAM_THRESHOLD", 10)
    items = list(StixReader().read(io.BytesIO(orjson.dumps(body))))
    assert len([i for i in items if isinstance(i, ParsedObject)]) == found
    if not found:
        assert isinstance(items[0], ReadError)
        assert items[0].field in ("type", "spec_version")


@pytest.mark.parametrize("threshold", [stix.STREAM_THRESHOLD, 10])
def test_one_object_on_its_own_reads_as_a_bundle_of_one(monkeypatch, threshold):
    monkeypatch.setattr(stix, "STREAM_THRESHOLD", threshold)  # read whole, or found by streaming
    lone = indicator(7, "[ipv4-addr:value = '10.0.0.7']")
    (item,) = list(StixReader().read(io.BytesIO(orjson.dumps(lone))))
    assert isinstance(item, ParsedObject)
    assert (item.where, [m.value for m in item.mentions]) == (f"object 0 ({lone['id']})", ["10.0.0.7"])
    assert StixReader.sniff(orjson.dumps(lone)[:200])


def test_a_cyber_observable_on_its_own_may_leave_spec_version_out():
    lone = {"type": "ipv4-addr", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.3"}
    data = orjson.dumps(lone)
    assert StixReader.sniff(data)
    (item,) = list(StixReader().read(io.BytesIO(data)))
    assert isinstance(item, ParsedObject) and [m.value for m in item.mentions] == ["198.51.100.3"]


_COMPARISONS = st.sampled_from(
    [
        "ipv4-addr:value = '203.0.113.9'",
        "domain-name:value = 'a.example.net'",
        "file:hashes.'SHA-256' = '" + "ab" * 32 + "'",
        "file:hashes.MD5 = '" + "cd" * 16 + "'",
        "file:name = 'it''s AND [x] OR (y)'".replace("''", "\\'"),
        "url:value = 'http://example.com/a?b=1'",
        "email-addr:value = 'x@example.org'",
    ]
)
_OBSERVATIONS = st.lists(_COMPARISONS, min_size=1, max_size=3).flatmap(
    lambda terms: st.lists(st.sampled_from([" AND ", " OR "]), min_size=len(terms) - 1, max_size=len(terms) - 1).map(
        lambda joins: "[" + "".join(t + j for t, j in zip(terms, [*joins, ""], strict=True)) + "]"
    )
)
_PATTERNS = st.recursive(
    _OBSERVATIONS,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from([" AND ", " OR ", " FOLLOWEDBY ", " ", ""]), inner).map("".join),
        inner.map(lambda e: f"({e})"),
        inner.map(lambda e: f"{e} WITHIN 600 SECONDS"),
        inner.map(lambda e: f"({e}"),
    ),
    max_leaves=5,
)


@given(_PATTERNS)
def test_the_fast_path_reads_what_the_pattern_parser_reads(pattern):
    """Whatever pattern the fast path takes, the full parser takes too, with the same comparisons
    (the fast path gives up, to the parser, on anything else)."""
    fast = patterns.fast_comparisons(pattern)
    parsed = patterns.parsed_comparisons(pattern)
    if fast is None:
        return
    assert not isinstance(parsed, str), (pattern, parsed)
    known = sorted(c for c in fast if (c[0], c[1]) in stix.PATH_TO_TYPE)
    assert known == sorted(parsed)


def test_compound_patterns_of_equalities_take_the_fast_path():
    sha = "ab" * 32
    pattern = f"([file:hashes.'SHA-256' = '{sha}' AND file:name = 'a.exe'] OR [ipv4-addr:value = '10.0.0.0/8'])"
    assert patterns.fast_comparisons(pattern) == [
        ("file", "hashes.SHA-256", sha),
        ("file", "name", "a.exe"),
        ("ipv4-addr", "value", "10.0.0.0/8"),
    ]
    for slow in ("[a:b = 'x'] [c:d = 'y']", "[a:b = 'x'] OR", "[a:b = 'x'] WITHIN 5 SECONDS", "[a:b > 5]"):
        assert patterns.fast_comparisons(slow) is None


@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_crash_the_reader(data):
    for item in StixReader().read(io.BytesIO(data)):
        assert isinstance(item, ParsedObject | ReadError)


def _envelope(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return {"more": False, "objects": objects}


@pytest.mark.parametrize("threshold", [stix.STREAM_THRESHOLD, 10])
@pytest.mark.parametrize("shape", [list, _envelope], ids=["list", "taxii-envelope"])
@pytest.mark.parametrize("mark", [b"", b"\xef\xbb\xbf"], ids=["", "byte-order-mark"])
def test_objects_sent_without_a_bundle_read_like_a_bundle(monkeypatch, threshold, shape, mark):
    """A JSON list of STIX objects, or a TAXII 2.1 envelope saved from a poll, with or without a
    byte-order mark: each object read as in a bundle, a bad one refused alone with its index,
    whether read whole or streamed."""
    monkeypatch.setattr(stix, "STREAM_THRESHOLD", threshold)
    objects = [indicator(n, f"[ipv4-addr:value = '10.0.0.{n}']") for n in range(1, 4)]
    objects.insert(1, {"type": "indicator", "id": "indicator--nope"})
    body = mark + orjson.dumps(shape(objects))
    assert StixReader.sniff(body[:200])
    items = list(StixReader().read(io.BytesIO(body)))
    assert [type(i).__name__ for i in items] == ["ParsedObject", "ReadError", "ParsedObject", "ParsedObject"]
    assert items[1].where.startswith("object 1") and items[1].field == "id"
    assert [m.value for i in items if isinstance(i, ParsedObject) for m in i.mentions] == [
        "10.0.0.1",
        "10.0.0.2",
        "10.0.0.3",
    ]


@pytest.mark.parametrize("body", [b"[]", b'[{"name": "not stix"}]', b'{"more": false}'])
def test_a_list_or_envelope_of_no_stix_is_refused_whole(body):
    (error,) = list(StixReader().read(io.BytesIO(body)))
    assert isinstance(error, ReadError) and "not STIX 2.1" in error.message
