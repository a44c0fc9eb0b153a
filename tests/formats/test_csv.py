"""The CSV reader: header, types, values, TLP labels, dates; errors name the line and column."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.formats.base import ParsedObject, ReadError, detect_format
from accord.formats.csvfile import CsvReader


def read(text: str | bytes) -> list[ParsedObject | ReadError]:
    data = text.encode() if isinstance(text, str) else text
    return list(CsvReader().read(io.BytesIO(data)))


def test_detects_csv():
    assert detect_format(b"type,value,tlp\nipv4,1.2.3.4,amber\n") == "csv"


def test_rows_become_indicators_with_normalised_observables():
    rows = read(
        "\ufefftype,value,tlp,first_seen,last_seen,description,crime_type\n"
        "ipv4,203.0.113.9,TLP:AMBER,2026-05-01,2026-06-01T10:00:00Z,C2 server,ransomware\n"
        "domain,Login-Bank.EXAMPLE.com,,,,,phishing\n"
        "\n"
        "iban,GB82 WEST 1234 5698 7654 32,red,,,mule account,bec\n"
    )
    assert [r.where for r in rows] == ["line 2", "line 3", "line 5"]
    first = rows[0]
    assert first.stix["pattern"] == "[ipv4-addr:value = '203.0.113.9']"
    assert first.stix["valid_from"] == "2026-05-01T00:00:00.000Z"
    assert first.stix["valid_until"] == "2026-06-01T10:00:00.000Z"
    assert (first.tlp, first.stix["labels"], first.stix["description"]) == ("amber", ["ransomware"], "C2 server")
    assert [(m.type, m.value) for r in rows for m in r.mentions] == [
        ("ipv4", "203.0.113.9"),
        ("domain", "login-bank.example.com"),
        ("iban", "GB82WEST12345698765432"),
    ]
    assert rows[2].stix["pattern"] == "[x-accord-bank-account:iban = 'GB82WEST12345698765432']"


def test_the_same_value_gets_the_same_indicator_id():
    once = read("type,value\nmd5,D41D8CD98F00B204E9800998ECF8427E\n")[0]
    again = read("type,value\nmd5,d41d8cd98f00b204e9800998ecf8427e\n")[0]
    assert once.stix["id"] == again.stix["id"]


@pytest.mark.parametrize(
    ("text", "where", "field", "words"),
    [
        ("type,value,colour\nipv4,1.2.3.4,red\n", "line 1", "header", "unknown column 'colour'"),
        ("value\n1.2.3.4\n", "line 1", "header", "missing column 'type'"),
        ("", "line 1", "header", "empty"),
        ("type,value\nipv4,1.2.3.4\nfax,123\n", "line 3", "type", "'fax' is not one of"),
        ("type,value\nbtc,1BoatSLRHtKNngkdXEeobR76b53LETtpyX\n", "line 2", "value", "checksum"),
        ("type,value\neth,0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD\n", "line 2", "value", "EIP-55"),
        ("type,value\niban,DE89370400440532013001\n", "line 2", "value", "IBAN"),
        ("type,value,tlp\nipv4,1.2.3.4,purple\n", "line 2", "tlp", "not a TLP label"),
        ("type,value,first_seen\nipv4,1.2.3.4,last tuesday\n", "line 2", "first_seen", "ISO 8601"),
        ("type,value,first_seen,last_seen\nipv4,1.2.3.4,2026-05-02,2026-05-01\n", "line 2", "last_seen", "before"),
    ],
)
def test_errors_name_line_and_column(text, where, field, words):
    error = read(text)[-1]
    assert isinstance(error, ReadError)
    assert (error.where, error.field) == (where, field)
    assert words in error.message


def test_non_utf8_is_refused():
    error = read(b"type,value\nipv4,\xff\xfe\n")[-1]
    assert isinstance(error, ReadError)
    assert error.field == "encoding"


@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes_the_reader(text):
    for item in read(text):
        assert isinstance(item, ParsedObject | ReadError)
