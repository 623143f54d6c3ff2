"""Dates and times the GOV.UK way: "10 January 2027 at 5:30pm GMT", "midday", "midnight"."""

from datetime import date

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def govuk_time(value) -> str:
    if not value:
        return ""
    value = timezone.localtime(value)
    if (value.hour, value.minute) == (12, 0):
        return "midday"
    if (value.hour, value.minute) == (0, 0):
        return "midnight"
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d}{'am' if value.hour < 12 else 'pm'}"


@register.filter
def govuk_date(value) -> str:
    """A date, a datetime, or an ISO date as stored in JSON (e.g. an upload's results)."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if hasattr(value, "hour"):
        value = timezone.localtime(value)
    return f"{value.day} {value:%B %Y}"


@register.filter
def govuk_datetime(value) -> str:
    """With the UK time zone in force then (GMT or BST), as deadlines must be unambiguous."""
    if not value:
        return ""
    return f"{govuk_date(value)} at {govuk_time(value)} {timezone.localtime(value):%Z}"
