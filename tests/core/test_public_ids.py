"""The keyed permutation behind public ids: a bijection of 1 .. 2**53 - 1 that keeps no order
and no gap of the rows it names, and that malformed input cannot crash."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.urls import get_resolver
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import serializers

from accord.core.fields import PublicIdField, PublicIdRelatedField
from accord.core.public_ids import LIMIT, PublicIdConverter, RowId, decode, encode, is_covered, parse, permute_below

rows = st.integers(min_value=1, max_value=LIMIT - 1)


@given(rows)
def test_every_row_id_goes_out_and_comes_back(row):
    public = encode(row)
    assert 0 < public < LIMIT
    assert decode(public) == row
    assert parse(str(public)) == row and str(parse(str(public))) == str(public)


@given(rows)
def test_every_public_id_names_one_row(public):
    assert encode(decode(public)) == public


@given(st.lists(rows, min_size=2, max_size=200, unique=True))
def test_distinct_rows_get_distinct_public_ids(many):
    assert len({encode(row) for row in many}) == len(many)


@given(st.integers(min_value=1, max_value=LIMIT - 1000))
def test_a_run_of_rows_keeps_neither_its_order_nor_its_gaps(start):
    """Rows stored one after another: their public ids are neither sorted nor evenly spaced."""
    public = [encode(row) for row in range(start, start + 16)]
    assert public != sorted(public) and public != sorted(public, reverse=True)
    assert len({b - a for a, b in zip(public, public[1:], strict=False)}) > 1


@pytest.mark.parametrize("value", [0, -1, LIMIT, 2**64, True])
def test_no_id_outside_the_domain(value):
    with pytest.raises(ValueError, match="outside"):
        encode(value)
    with pytest.raises(ValueError, match="outside"):
        decode(value)


@given(st.text(max_size=30))
def test_any_text_reads_as_a_row_or_as_none_and_is_echoed_as_sent(text):
    found = parse(text)
    assert isinstance(found, RowId) and str(found) == text and f"{found}" == text
    assert int(found) == 0 or encode(int(found)) == int(text)


@pytest.mark.parametrize("text", ["0", "012", str(LIMIT), "9" * 40, "1.0", "-5", "²", "", "abc"])
def test_what_is_no_public_id_reads_as_no_row(text):
    assert int(parse(text)) == 0


def test_the_key_decides_the_mapping(settings):
    before = [encode(row) for row in range(1, 50)]
    settings.ACCORD_ID_KEY = "another installation"
    after = [encode(row) for row in range(1, 50)]
    assert all(a != b for a, b in zip(before, after, strict=True))
    assert [decode(public) for public in after] == list(range(1, 50))


def test_the_url_converter_writes_public_ids_and_reads_rows():
    converter = PublicIdConverter()
    assert converter.to_url(7) == str(encode(7))
    assert converter.to_python(str(encode(7))) == 7
    with pytest.raises(ValueError, match="outside"):
        converter.to_url(0)  # reverse() of no row is no URL


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    return found.union(*(_subclasses(sub) for sub in found)) if found else found


def _names_a_covered_row(model: Any, source: str) -> bool:
    """Whether ``source`` (``id``, ``observable``, ``observable.pk``) read from ``model`` ends on
    the id of a row of a covered model."""
    for part in source.split("."):
        if part in ("pk", "id"):
            return is_covered(model)
        try:
            field = model._meta.get_field(part)
        except (FieldDoesNotExist, AttributeError):
            return False
        if not field.is_relation or field.many_to_many or field.one_to_many:
            return False
        model = field.related_model
    return is_covered(model)


def test_every_serializer_gives_covered_ids_as_public_ids():
    """No model serializer (any app) hands out the row id of a covered model: ``id`` or a foreign
    key to one goes through the public-id fields (``PublicIds`` does it by itself)."""
    assert get_resolver().url_patterns  # every API module imported
    checked = 0
    for serializer in _subclasses(serializers.ModelSerializer):
        model = getattr(getattr(serializer, "Meta", None), "model", None)
        if not serializer.__module__.startswith("accord.") or model is None:
            continue
        for name, field in serializer().fields.items():
            if isinstance(field, serializers.SerializerMethodField | serializers.BaseSerializer):
                continue
            if _names_a_covered_row(model, field.source or name):
                checked += 1
                assert isinstance(field, PublicIdField | PublicIdRelatedField), (serializer.__name__, name)
    assert checked >= 7


@pytest.mark.parametrize("size", [2, 3, 17, 1000, 4097])
def test_a_permutation_below_a_size_is_a_bijection_of_its_range_and_keeps_no_order(size):
    permuted = [permute_below(row, size, "accord rule sids") for row in range(1, size)]
    assert sorted(permuted) == list(range(1, size))
    if size > 100:
        assert permuted != sorted(permuted) and permuted[:50] != list(range(permuted[0], permuted[0] + 50))
    with pytest.raises(ValueError):
        permute_below(size, size, "accord rule sids")
