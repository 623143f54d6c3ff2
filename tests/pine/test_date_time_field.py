"""The GOV.UK date input with a time (``pine.forms.GovukDateTimeField``): day, month, year, hour
and minute boxes, read in UK time, with GOV.UK error messages and a stated default time."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from pine.forms import GovukDateTimeField, GovukForm

UK = ZoneInfo("Europe/London")


class DeadlineForm(GovukForm):
    deadline = GovukDateTimeField(label="Application deadline", default_time=time(23, 59))
    opens = GovukDateTimeField(label="Call opens", required=False)


def _post(**parts) -> dict:
    return {f"deadline-{k}": v for k, v in parts.items()}


def _clean(data):
    form = DeadlineForm(data)
    return form, (form.cleaned_data if form.is_valid() else None)


def test_the_boxes_make_a_moment_in_uk_time_summer_and_winter():
    _, data = _clean(_post(day="1", month="6", year="2027", hour="9", minute="05"))
    assert data["deadline"] == datetime(2027, 6, 1, 9, 5, tzinfo=UK) == datetime(2027, 6, 1, 8, 5, tzinfo=UTC)
    _, data = _clean(_post(day="15", month="1", year="2027", hour="17", minute="30"))
    assert data["deadline"] == datetime(2027, 1, 15, 17, 30, tzinfo=UTC)
    assert data["opens"] is None  # optional, left empty


def test_the_hours_next_to_a_clock_change_are_read_as_the_clock_shows_them():
    _, data = _clean(_post(day="28", month="3", year="2027", hour="2", minute="00"))
    assert data["deadline"] == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)  # 2am BST: the first hour after the change
    _, data = _clean(_post(day="31", month="10", year="2027", hour="2", minute="00"))
    assert data["deadline"] == datetime(2027, 10, 31, 2, 0, tzinfo=UTC)  # 2am GMT


def test_an_empty_time_is_the_default_the_hint_states():
    form, data = _clean(_post(day="31", month="3", year="2027", hour="", minute=""))
    assert data["deadline"] == datetime(2027, 3, 31, 23, 59, tzinfo=UK)
    assert "Leave the time empty for 23:59" in form["deadline"].as_field_group()
    assert "UK time, 24-hour clock" in form["deadline"].as_field_group()


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({}, "Enter application deadline"),
        ({"day": "31", "month": "", "year": "2027"}, "Application deadline must include a month"),
        ({"day": "31", "month": "2", "year": "2027"}, "Application deadline must be a real date"),
        ({"day": "3", "month": "2", "year": "27"}, "Application deadline must be a real date"),
        ({"day": "3", "month": "2", "year": "2027", "hour": "17"}, "Application deadline must include a minute"),
        ({"day": "3", "month": "2", "year": "2027", "minute": "30"}, "Application deadline must include an hour"),
        ({"day": "3", "month": "2", "year": "2027", "hour": "24", "minute": "00"}, "hours 0 to 23, minutes 0 to 59"),
        ({"day": "3", "month": "2", "year": "2027", "hour": "5pm", "minute": "00"}, "must be a real time"),
        ({"hour": "17", "minute": "00"}, "Application deadline must include a date"),
        # 28 March 2027: the clocks go forward at 1am; 31 October 2027: they go back at 2am.
        ({"day": "28", "month": "3", "year": "2027", "hour": "1", "minute": "30"}, "the clocks go forward that night"),
        ({"day": "31", "month": "10", "year": "2027", "hour": "1", "minute": "30"}, "happens twice that night"),
    ],
)
def test_each_mistake_gets_a_govuk_message(parts, message):
    form, data = _clean(_post(**{"day": "", "month": "", "year": "", "hour": "", "minute": "", **parts}))
    assert data is None and message in form.errors["deadline"][0]
    html = form["deadline"].as_field_group()
    assert "govuk-input--error" in html and "govuk-error-message" in html


def test_a_field_without_a_default_time_needs_one():
    form = DeadlineForm({"opens-day": "1", "opens-month": "2", "opens-year": "2027", **_post(day="1", month="3", year="2027")})
    assert not form.is_valid() and form.errors["opens"] == ["Call opens must include a time"]


def test_a_stored_moment_shows_as_the_clock_in_london():
    form = DeadlineForm(initial={"deadline": datetime(2027, 6, 1, 16, 0, tzinfo=UTC)})
    html = form["deadline"].as_field_group()
    for name, value in (("day", "1"), ("month", "6"), ("year", "2027"), ("hour", "17"), ("minute", "00")):
        assert f'name="deadline-{name}" type="text" inputmode="numeric" value="{value}"' in html
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Application deadline</legend>' in html


def test_one_iso_box_still_works_for_older_clients():
    _, data = _clean({"deadline": "2027-01-31T17:00"})
    assert data["deadline"] == datetime(2027, 1, 31, 17, 0, tzinfo=UK)


def test_only_the_boxes_in_error_are_drawn_in_error():
    form, _ = _clean(_post(day="3", month="2", year="2027", hour="25", minute="30"))
    html = form["deadline"].as_field_group()
    assert 'govuk-input--error" id="id_deadline-hour"' in html
    for part in ("day", "month", "year", "minute"):
        assert f'govuk-input--error" id="id_deadline-{part}"' not in html
    form, _ = _clean(_post(day="31", month="", year="2027", hour="", minute=""))
    html = form["deadline"].as_field_group()
    assert 'govuk-input--error" id="id_deadline-month"' in html and 'govuk-input--error" id="id_deadline-day"' not in html
    form, _ = _clean(_post(day="", month="", year="", hour="", minute=""))  # nothing given: every box
    html = form["deadline"].as_field_group()
    assert all(f'govuk-input--error" id="id_deadline-{part}"' in html for part in ("day", "month", "year", "hour", "minute"))
