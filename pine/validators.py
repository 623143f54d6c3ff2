"""Validators shared by forms, serializers and models."""

from django.core.exceptions import ValidationError

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def validate_plausible_datetime(value) -> None:
    """Programme dates fall in this century: anything else is a typing slip (e.g. 0202 for 2026)."""
    if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValidationError(f"Enter a date between {EARLIEST_YEAR} and {LATEST_YEAR}.", code="implausible_date")
