"""Where observables live in STIX 2.1: cyber-observable properties and indicator patterns.

One table maps each STIX object path (``ipv4-addr:value``, ``file:hashes.'SHA-256'``, …) to
Accord's observable type, and back, so readers extract and writers build patterns alike.
"""

from __future__ import annotations

from accord.formats.choices import ObservableType as T

__all__ = ["CURRENCIES", "HASH_NAMES", "NUMERIC", "PATH_TO_TYPE", "SCO_REQUIRED", "TYPE_TO_PATH", "pattern_for"]

# (STIX object type, property path) -> observable type. A path through a reference names the
# referenced object's property (``email-message:from_ref.value``); list indexes are left out
# (``to_refs[*].value`` is ``to_refs.value``). The first path of a type is the one patterns use.
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
    ("autonomous-system", "number"): T.ASN.value,
    ("mutex", "name"): T.MUTEX.value,
    ("windows-registry-key", "key"): T.REGISTRY_KEY.value,
    ("user-account", "account_login"): T.USER_ACCOUNT.value,
    ("user-account", "user_id"): T.USER_ACCOUNT.value,
    ("email-message", "from_ref.value"): T.EMAIL.value,
    ("email-message", "sender_ref.value"): T.EMAIL.value,
    ("email-message", "to_refs.value"): T.EMAIL.value,
    ("email-message", "cc_refs.value"): T.EMAIL.value,
    ("email-message", "bcc_refs.value"): T.EMAIL.value,
    **{
        (owner, f"hashes.{name}"): kind
        for owner in ("x509-certificate", "artifact")
        for name, kind in (("MD5", T.MD5.value), ("SHA-1", T.SHA1.value), ("SHA-256", T.SHA256.value))
    },
}

# The properties a cyber-observable must carry (STIX 2.1 §6): its value is its substance.
SCO_REQUIRED: frozenset[tuple[str, str]] = frozenset(
    {
        ("ipv4-addr", "value"),
        ("ipv6-addr", "value"),
        ("domain-name", "value"),
        ("url", "value"),
        ("email-addr", "value"),
        ("autonomous-system", "number"),
        ("mutex", "name"),
        ("x-accord-bank-account", "iban"),
        ("x-accord-crypto-wallet", "address"),
        ("x-accord-phone-number", "number"),
    }
)

# Observable types whose STIX property is an integer (written unquoted in patterns).
NUMERIC = frozenset({T.ASN.value})

# Hash names as producers spell them -> the STIX 2.1 hash-algorithm-ov spelling (§10.11).
HASH_NAMES: dict[str, str] = {
    "MD5": "MD5",
    "SHA1": "SHA-1",
    "SHA-1": "SHA-1",
    "SHA256": "SHA-256",
    "SHA-256": "SHA-256",
}

TYPE_TO_PATH: dict[str, tuple[str, str]] = {}
for _path, _kind in PATH_TO_TYPE.items():
    if _kind != "crypto":
        TYPE_TO_PATH.setdefault(_kind, _path)
TYPE_TO_PATH |= {kind: ("x-accord-crypto-wallet", "address") for kind in (T.BTC.value, T.ETH.value, T.XMR.value)}

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
    return f"[{object_type}:{path} = {value if observable_type in NUMERIC else _quote(value)}]"
