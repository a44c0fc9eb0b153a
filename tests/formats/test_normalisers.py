"""Normalisers: one canonical form per observable, whatever the spelling; invalid values say why."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.formats.choices import ObservableType
from accord.formats.normalisers import NORMALISERS, InvalidObservable, normalise


def test_every_type_has_a_normaliser():
    assert set(NORMALISERS) == set(ObservableType.values)


@given(st.sampled_from(ObservableType.values), st.text(max_size=80))
def test_arbitrary_text_is_canonical_or_refused_with_a_reason(type_, text):
    try:
        canonical = normalise(type_, text)
    except InvalidObservable as exc:
        assert str(exc)
    else:
        assert normalise(type_, canonical.value).value == canonical.value  # idempotent


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_ipv4(number):
    text = str(ipaddress.IPv4Address(number))
    assert normalise("ipv4", f" {text} ").value == text


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_ipv6_is_compressed_whatever_the_spelling(number):
    address = ipaddress.IPv6Address(number)
    assert normalise("ipv6", address.exploded.upper()).value == address.compressed


@pytest.mark.parametrize("bad", ["256.1.1.1", "1.2.3", "01.2.3.4", "::1"])
def test_bad_ipv4(bad):
    with pytest.raises(InvalidObservable, match="IPv4"):
        normalise("ipv4", bad)


@given(st.sampled_from(["md5", "sha1", "sha256"]), st.data())
def test_hashes_are_lower_case_and_length_checked(type_, data):
    length = {"md5": 32, "sha1": 40, "sha256": 64}[type_]
    digest = data.draw(st.text(alphabet="0123456789abcdefABCDEF", min_size=length, max_size=length))
    assert normalise(type_, digest).value == digest.lower()
    with pytest.raises(InvalidObservable, match="hexadecimal"):
        normalise(type_, digest + "a")


LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=20)


@given(st.lists(LABEL, min_size=1, max_size=3), st.sampled_from(["com", "org", "co.uk", "com.br", "ke"]))
def test_domains_ignore_case_and_trailing_dot(labels, suffix):
    domain = ".".join([*labels, suffix])
    canonical = normalise("domain", domain.upper() + ".")
    assert canonical.value == domain
    assert canonical.extra["registered_domain"] == f"{labels[-1]}.{suffix}"


def test_international_domains_become_punycode():
    assert normalise("domain", "Bücher.example.DE").value == "xn--bcher-kva.example.de"


@pytest.mark.parametrize("bad", ["exa mple.com", "-bad-.com", "1.2.3.4", "a..com", "a_b.com"])
def test_bad_domains(bad):
    with pytest.raises(InvalidObservable):
        normalise("domain", bad)


@pytest.mark.parametrize(
    ("value", "canonical", "flag"),
    [
        ("www.Example", "www.example", "reserved_suffix"),
        ("db.test", "db.test", "reserved_suffix"),
        ("nas.corp.internal", "nas.corp.internal", "reserved_suffix"),
        ("printer.home.arpa", "printer.home.arpa", "reserved_suffix"),
        ("foo.notatld", "foo.notatld", "unknown_suffix"),
        ("duskgytldkxiuqc6.onion", "duskgytldkxiuqc6.onion", "onion"),
        ("FileServer", "fileserver", "internal"),
        ("localhost", "localhost", "internal"),
    ],
)
def test_questionable_domains_are_kept_and_flagged(value, canonical, flag):
    kept = normalise("domain", value)
    assert (kept.value, kept.extra["flags"]) == (canonical, [flag])
    assert "flags" not in normalise("domain", "login-bank.example.com").extra


@pytest.mark.parametrize(
    ("type_", "value", "canonical", "flags"),
    [
        ("ipv4", "112.64.0.0/15", "112.64.0.0/15", ["cidr"]),
        ("ipv4", "10.1.2.3/8", "10.0.0.0/8", ["cidr", "host_bits"]),
        ("ipv4", "203.0.113.7/32", "203.0.113.7", None),
        ("ipv6", "2001:0DB8::/32", "2001:db8::/32", ["cidr"]),
        ("ipv6", "2001:db8::1/128", "2001:db8::1", None),
    ],
)
def test_network_blocks_are_kept_in_canonical_form_and_flagged(type_, value, canonical, flags):
    kept = normalise(type_, value)
    assert (kept.value, kept.extra.get("flags")) == (canonical, flags)


@pytest.mark.parametrize(("type_", "bad"), [("ipv4", "10.0.0.0/33"), ("ipv4", "2001:db8::/32"), ("ipv6", "10.0.0.0/8")])
def test_bad_network_blocks(type_, bad):
    with pytest.raises(InvalidObservable):
        normalise(type_, bad)


@pytest.mark.parametrize(
    ("type_", "value", "canonical"),
    [
        ("asn", "AS64496", "64496"),
        ("asn", "015139", "15139"),
        ("mutex", "Global\\Ivy", "Global\\Ivy"),
        ("registry_key", "HKLM\\Software\\Run", "HKEY_LOCAL_MACHINE\\software\\run"),
        ("registry_key", "hkey_current_user\\X", "HKEY_CURRENT_USER\\x"),
        ("user_account", "jdoe", "jdoe"),
    ],
)
def test_host_observables(type_, value, canonical):
    assert normalise(type_, value).value == canonical


@pytest.mark.parametrize(("type_", "bad"), [("asn", "AS-1"), ("asn", "4294967296"), ("registry_key", "Software\\Run")])
def test_bad_host_observables(type_, bad):
    with pytest.raises(InvalidObservable):
        normalise(type_, bad)


@given(st.sampled_from(["http", "https"]), LABEL, st.booleans(), st.text(alphabet="abc/", max_size=10))
def test_urls_lower_scheme_and_host_drop_default_port_and_fragment(scheme, host, with_port, path):
    port = {"http": ":80", "https": ":443"}[scheme] if with_port else ""
    spelled = f"{scheme.upper()}://{host.upper()}.example.com{port}/{path}#section"
    assert normalise("url", spelled).value == f"{scheme}://{host}.example.com/{path}"


def test_url_keeps_other_ports_and_the_query():
    assert normalise("url", "https://Login.Example.com:8443/a?x=1").value == "https://login.example.com:8443/a?x=1"
    with pytest.raises(InvalidObservable, match="http, https or ftp"):
        normalise("url", "javascript:alert(1)")


def test_email_lowercases_the_domain_only():
    canonical = normalise("email", "Jane.Doe@Mail.EXAMPLE.org")
    assert canonical.value == "Jane.Doe@mail.example.org"
    with pytest.raises(InvalidObservable):
        normalise("email", "not an address")


def test_iban_is_validated_compacted_and_its_bank_kept():
    canonical = normalise("iban", "de89 3704 0044 0532 0130 00")
    assert canonical.value == "DE89370400440532013000"
    assert canonical.extra == {"country": "DE", "bank_code": "37040044"}
    with pytest.raises(InvalidObservable, match="IBAN"):
        normalise("iban", "DE89370400440532013001")


@pytest.mark.parametrize(
    "address",
    [
        "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    ],
)
def test_btc_checksums(address):
    assert normalise("btc", address.upper() if address.startswith("bc1") else address).value == address
    broken = address[:-1] + ("q" if address[-1] != "q" else "p")
    with pytest.raises(InvalidObservable, match="Bitcoin"):
        normalise("btc", broken)


def test_eth_is_eip55_checksummed():
    checksummed = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    assert normalise("eth", checksummed.lower()).value == checksummed
    assert normalise("eth", checksummed).value == checksummed
    with pytest.raises(InvalidObservable, match="EIP-55"):
        normalise("eth", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")


@given(st.sampled_from(["+44 20 7946 0958", "+44 (0)20-7946-0958", "+442079460958", "+44.20.7946.0958"]))
def test_phone_numbers_are_e164(spelling):
    assert normalise("phone", spelling).value == "+442079460958"


def test_phone_without_country_code_is_refused():
    with pytest.raises(InvalidObservable, match="country code"):
        normalise("phone", "020 7946 0958")


def test_an_autonomous_system_number_is_ascii_digits():
    """Found by the property test above: '¹' is a digit to ``str.isdigit`` and not to ``int``."""
    for text in ("¹", "AS¹²", "٣٤"):
        with pytest.raises(InvalidObservable):
            normalise("asn", text)
    assert normalise("asn", "AS64496").value == "64496"
