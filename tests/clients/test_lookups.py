"""`field__any`: the same rows as `field__in`, with one array parameter."""

from __future__ import annotations

from typing import Any

import pytest

from clients.models import InboundEvent

pytestmark = pytest.mark.django_db


def stored(*dedupe_keys: str) -> list[int]:
    return [
        InboundEvent.objects.create(
            platform="facebook", account_external_id="1", dedupe_key=key, payload={}
        ).pk
        for key in dedupe_keys
    ]


def test_any_finds_what_in_finds() -> None:
    first, second, third = stored("a", "b", "c")
    assert set(InboundEvent.objects.filter(pk__any=[first, third])) == set(
        InboundEvent.objects.filter(pk__in=[first, third])
    )
    assert set(
        InboundEvent.objects.filter(dedupe_key__any={"b", "c"}).values_list("pk", flat=True)
    ) == {second, third}
    assert list(InboundEvent.objects.exclude(pk__any=[first, second])) == [
        InboundEvent.objects.get(pk=third)
    ]


def test_one_parameter_whatever_the_number_of_values(django_assert_num_queries: Any) -> None:
    ids = stored("a", "b")
    with django_assert_num_queries(1) as captured:
        assert InboundEvent.objects.filter(pk__any=ids * 300).count() == 2
    assert captured.captured_queries[0]["sql"].count("ANY(") == 1


def test_no_values_match_nothing_without_a_query(django_assert_num_queries: Any) -> None:
    stored("a")
    with django_assert_num_queries(0):
        assert list(InboundEvent.objects.filter(pk__any=[])) == []
    assert InboundEvent.objects.exclude(pk__any=[]).count() == 1
