"""Is the client's team at work at a given moment? Call inside the client's schema."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from functools import cache

import holidays
from django.db import connection

from escalation.models import WEEKDAYS, BusinessHours

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class ScheduleInvalid(ValueError):
    pass


def parse_intervals(text: str) -> list[list[str]]:
    """ "09:00-12:00, 13:00-17:00" -> [["09:00", "12:00"], ["13:00", "17:00"]]; raises
    ScheduleInvalid for anything else, and for intervals that end before they start."""
    intervals = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        start, _sep, end = (piece.strip() for piece in part.partition("-"))
        if not (_TIME.match(start) and _TIME.match(end)) or end <= start:
            raise ScheduleInvalid(part)
        intervals.append([start, end])
    return sorted(intervals)


@cache
def _country_holidays(country: str) -> holidays.HolidayBase:
    return holidays.country_holidays(country)


def get_business_hours() -> BusinessHours:
    hours, _created = BusinessHours.objects.get_or_create(pk=1)
    return hours


def is_open(at: dt.datetime, *, hours: BusinessHours | None = None) -> bool:
    """True when `at` falls in an opening interval of the client's schedule, in its time zone,
    on a day that is neither a public holiday of its country nor one of its closed days. A
    client without a schedule counts as always open."""
    hours = hours or get_business_hours()
    if not any(hours.schedule.get(day) for day in WEEKDAYS):
        return True
    client = getattr(connection, "tenant", None)
    zone = zoneinfo.ZoneInfo(getattr(client, "time_zone", "UTC") or "UTC")
    local = at.astimezone(zone)
    if local.date().isoformat() in hours.closed_days:
        return False
    if hours.holiday_country and local.date() in _country_holidays(hours.holiday_country):
        return False
    clock = local.strftime("%H:%M")
    return any(
        start <= clock < end for start, end in hours.schedule.get(WEEKDAYS[local.weekday()], [])
    )
