"""What every statutory-return reader takes and gives. Pure: no Django, so each return's package
is tested on files alone. One package per return (``returns.cin``, ``returns.ssda903``,
``returns.annex_a``), each exposing the module-level functions of ``ReturnKind``."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO, Protocol

import pandas as pd

# A child identifier (LAchildID, CHILD) -> its keyed pseudonym, the same HMAC as outcome uploads.
Pseudonymise = Callable[[str], str]


@dataclass(frozen=True)
class Problem:
    """One finding about the return. An error blocks storing anything; a warning does not.
    ``where`` names the element path or the file and row; neither it nor the message ever
    quotes an identifying value."""

    severity: str  # "error" | "warning"
    where: str
    field: str
    message: str


@dataclass
class ReturnRead:
    """A return read into child-level tables. The child column of every table is ``child`` and
    holds pseudonyms only; dates of birth are cut to the first of their month; UPNs, names and
    postcodes are never read into it."""

    kind: str  # "cin" | "ssda903" | "annex_a"
    tables: dict[str, pd.DataFrame]
    children: int
    records: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive


@dataclass(frozen=True)
class Group:
    """The children a measure is computed for. ``children`` None means every child; ``from_date``
    is a rule such as "referrals on or after the intervention start": only records whose placing
    date (the date that puts the record in a period) is on or after it count."""

    name: str  # "all" | "intervention" | "comparison"
    children: frozenset[str] | None = None
    from_date: date | None = None


ALL = Group("all")


def population_year(day: date) -> int:
    """The year of the ONS mid-year estimate in force on ``day`` (the latest 30 June on or before
    it): the population a rate per 10,000 at ``day`` divides by, for every return alike (DfE's
    rates at 31 March use the estimate of the June before)."""
    return day.year if (day.month, day.day) >= (6, 30) else day.year - 1


# The frame every ``measures`` function returns, one row per measure, period and group.
# value: float, or None when not estimable (no denominator, no population); numerator and
# denominator: int or None (None for a count's denominator and for a median).
MEASURE_COLUMNS = ["measure", "period_start", "period_end", "group", "value", "numerator", "denominator"]


class ReturnKind(Protocol):
    KIND: str
    MEASURES: tuple[str, ...]  # the library measure codes this return feeds

    def detect(self, name: str, head: bytes) -> bool: ...

    def read(self, files: list[tuple[str, BinaryIO]], *, pseudonymise: Pseudonymise) -> ReturnRead: ...

    def measures(
        self, read: ReturnRead, *, periods: list[Period], groups: list[Group], population: dict[int, int]
    ) -> pd.DataFrame: ...
