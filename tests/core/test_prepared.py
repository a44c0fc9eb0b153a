"""Prepared reads: compiled once, they give what the ORM gives for every value bound later."""

from __future__ import annotations

import uuid

import pytest
from django.db.models import Q

from accord.core.models import ApiToken, User
from accord.core.prepared import Prepared, named_style
from accord.core.services import token_issue
from accord.taxii.models import Collection
from accord.taxii.services import collections_sync

pytestmark = pytest.mark.django_db

TOKEN = Prepared(
    ApiToken,
    lambda key_id: ApiToken.objects.select_related("user", "user__organisation").filter(key_id=key_id),
    key_id=ApiToken._meta.get_field("key_id"),
)


def test_a_prepared_read_gives_what_the_orm_gives_for_each_value(people, django_assert_num_queries):
    issued = {
        who: token_issue(actor=None, user=people[who], name=who, scopes=["read", "taxii"])
        for who in ("analyst", "partner_reader")
    }
    for who, token in issued.items():
        with django_assert_num_queries(1):  # the person and the organisation come in the same row
            found = TOKEN.first(key_id=token.token.key_id)
            assert found is not None
            assert found.user.username == who and found.user.organisation.name == people[who].organisation.name
        orm = ApiToken.objects.select_related("user__organisation").get(key_id=token.token.key_id)
        assert (found.pk, found.scopes, found.expires_at, found.last_used_at) == (
            orm.pk,
            orm.scopes,  # JSON decoded
            orm.expires_at,  # an aware date-time, as the ORM converts it
            orm.last_used_at,
        )
        assert found.expires_at.tzinfo is not None and found._state.adding is False
    assert TOKEN.first(key_id="nope") is None
    assert TOKEN.all(key_id=issued["analyst"].token.key_id)[0].user == User.objects.get(username="analyst")


def test_a_uuid_parameter_is_adapted_and_none_matches_nothing(db):
    collections_sync()
    by_alias_or_id = Prepared(
        Collection,
        lambda alias, pk: Collection.objects.filter(Q(alias=alias) | Q(pk=pk)),
        alias=Collection._meta.get_field("alias"),
        pk=Collection._meta.get_field("id"),
    )
    shared = Collection.objects.get(alias="shared")
    assert [c.pk for c in by_alias_or_id.all(alias="nope", pk=shared.pk)] == [shared.pk]
    assert [c.alias for c in by_alias_or_id.all(alias="shared", pk=None)] == ["shared"]
    assert by_alias_or_id.all(alias="nope", pk=None) == []
    assert by_alias_or_id.all(alias="nope", pk=uuid.uuid4()) == []


def test_a_parameter_not_compared_as_is_is_refused(db):
    pattern = Prepared(
        ApiToken, lambda name: ApiToken.objects.filter(name__contains=name), name=ApiToken._meta.get_field("name")
    )
    with pytest.raises(ValueError, match="name is not a parameter compared as is"):
        pattern.all(name="x")


def test_a_literal_percent_stays_one_when_the_parameters_are_named(db):
    # A prepared statement runs with its parameters named (%(p0)s): a literal percent sign
    # written %% in the statement must reach the database as one, beside the named parameters.
    collections_sync()
    titled = Prepared(
        Collection,
        # One character when it arrives as one: else no row.
        lambda alias: Collection.objects.filter(alias=alias).extra(where=["length('%%') = 1"]),  # noqa: S610
        alias=Collection._meta.get_field("alias"),
    )
    assert [c.alias for c in titled.all(alias="shared")] == ["shared"]
    assert titled.all(alias="no such alias") == []


def test_a_statement_is_named_in_order_and_its_parameters_counted():
    named, names = named_style("SELECT %s, '50%%' WHERE a = %s OR b LIKE '%%s'", [1, 2])
    assert (named, names) == ("SELECT %(p0)s, '50%%' WHERE a = %(p1)s OR b LIKE '%%s'", ("p0", "p1"))
    with pytest.raises(ValueError, match="2 parameter markers was given 3 values"):
        named_style("SELECT %s, %s", [1, 2, 3])
