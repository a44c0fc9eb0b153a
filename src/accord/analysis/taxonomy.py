"""Crime types as the europol-incident taxonomy names them (through ``pytaxonomies``).

Partners label objects with the programme's short crime types (``phishing``, ``bec``,
``ransomware`` ...). Campaigns and trends classify them with the machine tags of the
europol-incident taxonomy, checked against the taxonomy the package ships when first used.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path

__all__ = ["OTHER", "europol_label", "europol_tag", "europol_tags"]

OTHER = 'europol-incident:other="other"'

_CRIME_TYPES = {
    "phishing": 'europol-incident:information-gathering="phishing"',
    "bec": 'europol-incident:fraud="illegitimate-use-name"',
    "business_email_compromise": 'europol-incident:fraud="illegitimate-use-name"',
    "romance_scam": 'europol-incident:fraud="illegitimate-use-name"',
    "fraud": 'europol-incident:fraud="illegitimate-use-name"',
    "cryptojacking": 'europol-incident:fraud="illegitimate-use-resources"',
    "ransomware": 'europol-incident:malware="infection"',
    "malware": 'europol-incident:malware="infection"',
    "banking_trojan": 'europol-incident:malware="infection"',
    "botnet": 'europol-incident:malware="c&c"',
    "c2": 'europol-incident:malware="c&c"',
    "ddos": 'europol-incident:availability="dos-ddos"',
    "spam": 'europol-incident:abusive-content="spam"',
    "scanning": 'europol-incident:information-gathering="scanning"',
    "intrusion": 'europol-incident:intrusion="compromising-account"',
    "account_takeover": 'europol-incident:intrusion="compromising-account"',
    "data_breach": 'europol-incident:information-security="unauthorized-access"',
}


@cache
def _known_tags() -> frozenset[str]:
    """The taxonomy's machine tags, read from the one file that holds it (loading every
    taxonomy the package ships took a tenth of a second in the first ingest of a process)."""
    import pytaxonomies
    from pytaxonomies.api import Taxonomy

    path = Path(pytaxonomies.__file__).parent / "data" / "misp-taxonomies" / "europol-incident" / "machinetag.json"
    return frozenset(Taxonomy(json.loads(path.read_text(encoding="utf-8"))).machinetags())


def europol_tag(crime_type: str) -> str:
    """The europol-incident machine tag for one crime type (``other`` when unknown)."""
    key = crime_type.strip().lower().replace("-", "_").replace(" ", "_")
    tag = _CRIME_TYPES.get(key, OTHER)
    return tag if tag in _known_tags() else OTHER


def europol_tags(crime_types: Iterable[str]) -> list[str]:
    """The distinct tags of several crime types, sorted."""
    return sorted({europol_tag(crime) for crime in crime_types if crime})


@cache
def _expanded() -> dict[str, str]:
    """Each machine tag's words, from the taxonomy's own ``expanded`` names."""
    import pytaxonomies

    path = Path(pytaxonomies.__file__).parent / "data" / "misp-taxonomies" / "europol-incident" / "machinetag.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    predicates = {p["value"]: p.get("expanded", p["value"]) for p in data["predicates"]}
    words: dict[str, str] = {}
    for group in data.get("values", []):
        for entry in group["entry"]:
            tag = f'europol-incident:{group["predicate"]}="{entry["value"]}"'
            head, tail = predicates[group["predicate"]], entry.get("expanded", entry["value"])
            words[tag] = head if head.lower() == tail.lower() else f"{head}: {tail}"
    for predicate, expanded in predicates.items():
        words.setdefault(f'europol-incident:{predicate}="{predicate}"', expanded)
    return words


def europol_label(tag: str) -> str:
    """A europol-incident machine tag (or one of the programme's crime types) in words:
    ``europol-incident:malware="infection"`` → ``Malware: Infection``; ``other`` → ``Other``."""
    text = (tag or "").strip()
    if not text:
        return ""
    if not text.startswith("europol-incident:"):
        text = europol_tag(text)
    return _expanded().get(text, "Other" if text == OTHER else text)
