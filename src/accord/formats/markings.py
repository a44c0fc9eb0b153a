"""TLP marking definitions: TLP 2.0 (the STIX extension) and TLP 1.0 (built into STIX 2.1)."""

from __future__ import annotations

from accord.core.choices import Tlp

__all__ = ["TLP1_IDS", "TLP2_IDS", "TLP_BY_MARKING", "tlp_label", "tlp_of_refs"]

TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

TLP2_IDS: dict[str, str] = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

# TLP 1.0, accepted on input and mapped (WHITE becomes CLEAR).
TLP1_IDS: dict[str, str] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": Tlp.CLEAR,
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": Tlp.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": Tlp.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": Tlp.RED,
}

TLP_BY_MARKING: dict[str, str] = {ref: label for label, ref in TLP2_IDS.items()} | TLP1_IDS

_ALIASES = {"white": Tlp.CLEAR, "amber-strict": Tlp.AMBER_STRICT, "amber_strict": Tlp.AMBER_STRICT}


def tlp_label(text: str) -> str | None:
    """``TLP:AMBER+STRICT``, ``amber+strict``, ``tlp:white`` … → the TLP 2.0 value, else ``None``."""
    value = text.strip().lower().removeprefix("tlp:").strip()
    value = _ALIASES.get(value, value)
    return value if value in Tlp.values else None


def tlp_of_refs(refs: list[str]) -> str | None:
    """The most restrictive TLP among marking references, or ``None`` when none is a TLP."""
    labels = [TLP_BY_MARKING[ref] for ref in refs if ref in TLP_BY_MARKING]
    return max(labels, key=Tlp.rank) if labels else None
