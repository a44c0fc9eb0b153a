"""Where observables live in STIX 2.1: cyber-observable properties and indicator patterns.

One table maps each STIX object path (``ipv4-addr:value``, ``file:hashes.'SHA-256'``, …) to
Accord's observable type, and back, so readers extract and writers build patterns alike.
"""

from __future__ import annotations

from accord.sharing.choices import ObservableType as T

__all__ = ["CURRENCIES", "PATH_TO_TYPE", "TYPE_TO_PATH", "pattern_for"]

# (STIX object type, property path) -> observable type
PATH_TO_TYPE: dict[tuple[str, str], str] = {
    ("ipv4-addr", "value"): T.IPV4.value,
    ("ipv6-addr", "value"): T.IPV6.value,
    ("domain-name", "value"): T.DOMAIN.value,
    ("url", "value"): T.URL.value,
    ("email-addr", "value"): T.EMAIL.value,
    ("file", "hashes.MD5"): T.MD5.value,
    ("file", "hashes.SHA-1"): T.SHA1.value,
    ("file", "hashes.SHA-256"): T.SHA256.value,
    ("x-accord-bank-account", "iban"): T.IBAN.value,
    ("x-accord-crypto-wallet", "address"): "crypto",  # btc or eth, by the wallet's currency
    ("x-accord-phone-number", "number"): T.PHONE.value,
}

TYPE_TO_PATH: dict[str, tuple[str, str]] = {kind: path for path, kind in PATH_TO_TYPE.items() if kind != "crypto"} | {
    kind: ("x-accord-crypto-wallet", "address") for kind in (T.BTC.value, T.ETH.value, T.XMR.value)
}

# Wallet currency (as STIX ``currency`` or MISP symbol) -> observable type.
CURRENCIES: dict[str, str] = {
    "btc": T.BTC.value,
    "bitcoin": T.BTC.value,
    "xbt": T.BTC.value,
    "eth": T.ETH.value,
    "ethereum": T.ETH.value,
    "ether": T.ETH.value,
    "xmr": T.XMR.value,
    "monero": T.XMR.value,
}


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern_for(observable_type: str, value: str) -> str:
    """A STIX pattern matching one observable, e.g. ``[ipv4-addr:value = '203.0.113.7']``."""
    object_type, path = TYPE_TO_PATH[observable_type]
    if path.startswith("hashes."):
        path = f"hashes.'{path.split('.', 1)[1]}'"
    return f"[{object_type}:{path} = {_quote(value)}]"
