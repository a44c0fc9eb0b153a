"""The offline tools on their own: address types from the address's encoding, and no input
makes a tool fail other than with a message for the person who asked."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.enrichment.enrichers import ENRICHERS, EnricherBase, EnrichmentError


def tool(kind: str) -> EnricherBase:
    cls = ENRICHERS[kind]
    return cls(types=cls.supported_types, tlp_ceiling="red", timeout=1, provider="host")


@pytest.mark.parametrize(
    ("type_", "address", "expected"),
    [
        ("btc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", {"network": "mainnet", "address_type": "p2pkh"}),
        ("btc", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", {"network": "mainnet", "address_type": "p2sh"}),
        (
            "btc",
            "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
            {"address_type": "p2wsh", "witness_version": 0},
        ),
        (
            "btc",
            "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",
            {"address_type": "p2tr", "encoding": "bech32m", "witness_version": 1},
        ),
        ("btc", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", {"network": "testnet", "address_type": "p2wpkh"}),
        (
            "xmr",
            "4" + "A" * 94,
            {"currency": "Monero", "network": "mainnet", "address_type": "standard"},
        ),
        ("xmr", "8" + "A" * 94, {"address_type": "subaddress"}),
        ("xmr", "4" + "A" * 105, {"address_type": "integrated"}),
    ],
)
def test_crypto_address_types(type_, address, expected):
    assert tool("crypto").enrich(type_, address).items() >= expected.items()


def test_an_iban_outside_the_registry_still_gives_its_country():
    result = tool("iban").enrich("iban", "GB82WEST12345698765432")
    assert result["country_code"] == "GB" and result["in_registry"] is False and result["bank_name"] is None


def test_domain_from_a_url_and_an_address_and_private_suffixes():
    domain = tool("domain")
    assert domain.enrich("url", "https://kestrel-labs.github.io/x")["registered_domain"] == "kestrel-labs.github.io"
    assert domain.enrich("url", "https://kestrel-labs.github.io/x")["private_suffix"] is True
    assert domain.enrich("email", "ceo@mail.atlasbank.co.ae")["registered_domain"] == "atlasbank.co.ae"
    assert domain.enrich("domain", "shop.xn--bcher-kva.de")["unicode"] == "shop.bücher.de"
    with pytest.raises(EnrichmentError, match="no registrable domain"):
        domain.enrich("domain", "co.uk")


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(["iban", "phone", "domain", "crypto"]), value=st.text(max_size=60))
def test_any_input_gives_an_answer_or_a_message(kind, value):
    enricher = tool(kind)
    for type_ in sorted(enricher.types):
        try:
            result = enricher.enrich(type_, value)
        except EnrichmentError as exc:
            assert str(exc)
        else:
            assert isinstance(result, dict)
