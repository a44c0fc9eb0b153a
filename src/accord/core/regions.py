"""Every ISO 3166-1 country mapped to one of the programme's five regions.

Country names and codes come from ``pycountry`` (ISO 3166-1, bundled, never fetched). The
mapping follows the programme's regional working groups: the Middle East and North Africa form
one region; the rest of Africa, the Americas, Europe (with the Caucasus, Türkiye and Cyprus) and
Asia with the South Pacific the others. Dependent territories go with their geography.
"""

from __future__ import annotations

from functools import cache

import pycountry
from django.core.exceptions import ValidationError

from accord.core.choices import Region

__all__ = ["COUNTRY_REGION", "country_choices", "country_name", "region_for", "validate_country"]

_MEMBERS: dict[Region, str] = {
    Region.AFRICA: (
        "AO BF BI BJ BW CD CF CG CI CM CV DJ ER ET GA GH GM GN GQ GW KE KM LR LS MG ML MR MU MW"
        " MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TF TG TZ UG YT ZA ZM ZW"
    ),
    Region.AMERICAS: (
        "AG AI AR AW BB BL BM BO BQ BR BS BV BZ CA CL CO CR CU CW DM DO EC FK GD GF GL GP GS GT"
        " GY HN HT JM KN KY LC MF MQ MS MX NI PA PE PM PR PY SR SV SX TC TT US UY VC VE VG VI"
    ),
    Region.ASIA_SOUTH_PACIFIC: (
        "AF AQ AS AU BD BN BT CC CK CN CX FJ FM GU HK HM ID IN IO JP KG KH KI KP KR KZ LA LK MH"
        " MM MN MO MP MV MY NC NF NP NR NU NZ PF PG PH PK PN PW SB SG TH TJ TK TL TM TO TV TW UM"
        " UZ VN VU WF WS"
    ),
    Region.EUROPE: (
        "AD AL AM AT AX AZ BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GE GG GI GR HR HU IE IM"
        " IS IT JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM TR UA VA"
    ),
    Region.MENA: "AE BH DZ EG EH IL IQ IR JO KW LB LY MA OM PS QA SA SY TN YE",
}

COUNTRY_REGION: dict[str, Region] = {code: region for region, codes in _MEMBERS.items() for code in codes.split()}


def region_for(country: str) -> Region:
    """The region of an ISO 3166-1 alpha-2 country code (``KeyError`` when unknown)."""
    return COUNTRY_REGION[country.upper()]


@cache
def country_choices() -> list[tuple[str, str]]:
    """``(alpha_2, name)`` for every ISO 3166-1 country, sorted by name."""
    return sorted(
        ((c.alpha_2, getattr(c, "common_name", c.name)) for c in pycountry.countries),
        key=lambda pair: pair[1],
    )


def country_name(code: str) -> str:
    """The short English name of a country code, or the code itself when unknown."""
    country = pycountry.countries.get(alpha_2=code.upper()) if code else None
    return str(getattr(country, "common_name", None) or getattr(country, "name", code))


def validate_country(value: str) -> None:
    """Model/serializer validator: an ISO 3166-1 alpha-2 code that has a region."""
    if value not in COUNTRY_REGION:
        raise ValidationError(
            "%(value)s is not an ISO 3166-1 alpha-2 country code (e.g. KE, BR, SG, FR, JO).",
            code="invalid_country",
            params={"value": value},
        )
