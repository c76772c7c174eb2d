"""The one date formatter templates use: each style, naive moments, missing values."""
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from app.templating import when

MOMENT = datetime(2026, 12, 5, 14, 5, 33, 123456, tzinfo=UTC)


@pytest.mark.parametrize(("style", "expected"), [
    ("date", "5 December 2026"),
    ("short_date", "5 Dec 2026"),
    ("datetime", "5 Dec 2026, 14:05 UTC"),
    ("time", "14:05 UTC"),
    ("iso", "2026-12-05T14:05:33+00:00"),
])
def test_each_style(style, expected):
    assert when(MOMENT, style) == expected


def test_the_default_style_is_date_and_time():
    assert when(MOMENT) == "5 Dec 2026, 14:05 UTC"


@pytest.mark.parametrize(("style", "expected"), [
    ("date", "1 September 2025"), ("short_date", "1 Sep 2025"), ("iso", "2025-09-01"),
])
def test_a_day_without_a_time(style, expected):
    assert when(date(2025, 9, 1), style) == expected


@pytest.mark.parametrize("style", ["datetime", "time"])
def test_a_day_has_no_time_of_day_to_print(style):
    with pytest.raises(TypeError):
        when(date(2025, 9, 1), style)


@pytest.mark.parametrize("style", ["date", "short_date", "datetime", "time", "iso"])
def test_a_naive_moment_is_read_as_utc(style):
    assert when(MOMENT.replace(tzinfo=None), style) == when(MOMENT, style)


def test_another_zone_prints_in_utc():
    paris = timezone(timedelta(hours=1))
    moment = datetime(2027, 1, 1, 0, 30, tzinfo=paris)
    assert when(moment) == "31 Dec 2026, 23:30 UTC"
    assert when(moment, "date") == "31 December 2026"
    assert when(moment, "iso") == "2026-12-31T23:30:00+00:00"


@pytest.mark.parametrize("style", ["date", "short_date", "datetime", "time", "iso"])
def test_none_prints_nothing(style):
    assert when(None, style) == ""


def test_none_prints_the_fallback():
    assert when(None, "datetime", "Never") == "Never"
    assert when(None, fallback="—") == "—"


def test_the_fallback_is_only_for_missing_values():
    assert when(MOMENT, "date", "Never") == "5 December 2026"


def test_an_unknown_style_is_refused():
    with pytest.raises(ValueError, match="unknown date style 'long'"):
        when(MOMENT, "long")


def test_templates_reach_the_formatter_as_a_filter(app):
    with app.test_request_context("/"):
        template = app.jinja_env.from_string(
            "{{ moment | when('date') }}|{{ moment | when }}"
            "|{{ missing | when(fallback='Never') }}")
        assert template.render(moment=MOMENT, missing=None) == \
            "5 December 2026|5 Dec 2026, 14:05 UTC|Never"
