"""Business hours: split shifts in the client's time zone, holidays, closed days."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from escalation.business_hours import ScheduleInvalid, get_business_hours, is_open, parse_intervals
from tests.conftest import Cast, SessionClients

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def berlin_hours(session_clients: SessionClients, in_client_a: Any) -> Any:
    session_clients.client_a.time_zone = "Europe/Berlin"
    hours = get_business_hours()
    hours.schedule = {
        day: [["09:00", "12:00"], ["13:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
    }
    hours.holiday_country = "DE"
    hours.closed_days = ["2026-11-27"]
    hours.save()
    yield hours
    session_clients.client_a.time_zone = "UTC"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (dt.datetime(2026, 11, 23, 8, 30, tzinfo=UTC), True),  # Monday 09:30 in Berlin
        (dt.datetime(2026, 11, 23, 7, 30, tzinfo=UTC), False),  # 08:30 in Berlin
        (dt.datetime(2026, 11, 23, 11, 30, tzinfo=UTC), False),  # lunch break, 12:30
        (dt.datetime(2026, 11, 23, 15, 59, tzinfo=UTC), True),  # 16:59
        (dt.datetime(2026, 11, 23, 16, 0, tzinfo=UTC), False),  # 17:00 closes
        (dt.datetime(2026, 11, 28, 10, 0, tzinfo=UTC), False),  # Saturday
        (dt.datetime(2026, 12, 25, 10, 0, tzinfo=UTC), False),  # Christmas, a DE holiday
        (dt.datetime(2026, 11, 27, 10, 0, tzinfo=UTC), False),  # the client's closed day
    ],
)
def test_is_open(berlin_hours: Any, moment: dt.datetime, expected: bool) -> None:
    assert is_open(moment) is expected


def test_a_client_without_a_schedule_is_always_open(in_client_a: Any) -> None:
    assert is_open(dt.datetime(2026, 11, 28, 3, 0, tzinfo=UTC))


@pytest.mark.parametrize("text", ["9-17", "09:00-08:00", "09:00", "25:00-26:00", "09:00–17:00"])
def test_bad_intervals_are_refused(text: str) -> None:
    with pytest.raises(ScheduleInvalid):
        parse_intervals(text)


def test_intervals_are_parsed_and_sorted() -> None:
    assert parse_intervals("13:00-17:00, 09:00-12:00") == [["09:00", "12:00"], ["13:00", "17:00"]]


def test_manager_saves_business_hours(
    client: HttpClient, cast: Cast, session_clients: SessionClients
) -> None:
    client.force_login(cast.owner)
    url = "/clients/client-a/inbox/automation/hours/"

    bad = client.post(url, {"mon": "9 to 5"})
    good = client.post(
        url,
        {
            "mon": "09:00-12:00, 13:00-17:00",
            "holiday_country": "pl",
            "closed_days": "2026-12-24\n2026-12-31",
        },
    )

    assert (bad.status_code, good.status_code) == (422, 302)
    with tenant_context(session_clients.client_a):
        hours = get_business_hours()
    assert hours.schedule["mon"] == [["09:00", "12:00"], ["13:00", "17:00"]]
    assert (hours.holiday_country, hours.closed_days) == ("PL", ["2026-12-24", "2026-12-31"])


def test_agent_cannot_change_business_hours(client: HttpClient, cast: Cast) -> None:
    client.force_login(cast.agent_a)
    assert client.post("/clients/client-a/inbox/automation/hours/", {}).status_code == 403
