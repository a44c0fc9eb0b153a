"""Every ISO 3166-1 country has exactly one of the five regions; validation names bad codes."""

from __future__ import annotations

import pycountry
import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from accord.core.choices import Region
from accord.core.regions import COUNTRY_REGION, country_choices, region_for, validate_country

ISO_CODES = {country.alpha_2 for country in pycountry.countries}


def test_every_iso_country_has_one_region_and_nothing_else_does():
    assert set(COUNTRY_REGION) == ISO_CODES
    assert len(ISO_CODES) == 249
    assert set(COUNTRY_REGION.values()) == set(Region)


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("KE", "africa"),
        ("ZA", "africa"),
        ("EG", "mena"),
        ("MA", "mena"),
        ("JO", "mena"),
        ("AE", "mena"),
        ("BR", "americas"),
        ("CA", "americas"),
        ("SG", "asia_south_pacific"),
        ("FJ", "asia_south_pacific"),
        ("AU", "asia_south_pacific"),
        ("FR", "europe"),
        ("TR", "europe"),
        ("ua", "europe"),
    ],
)
def test_known_mappings(code, region):
    assert region_for(code) == region


@given(st.text(min_size=0, max_size=4))
def test_validation_accepts_exactly_the_iso_codes(value):
    if value in ISO_CODES:
        validate_country(value)
    else:
        with pytest.raises(ValidationError, match="ISO 3166-1"):
            validate_country(value)


def test_choices_are_sorted_by_name():
    names = [name for _, name in country_choices()]
    assert names == sorted(names)
    assert ("TW", "Taiwan") in country_choices()
