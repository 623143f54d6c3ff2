"""Child-level outcome rows: pure functions, no database.

A child-level file has the aggregate format's columns plus ``child_ref``, one row per child per
measure, period and group. Child references are pseudonymised as the upload is received, before
anything is stored: each becomes ``pseudo:<key version>:<HMAC-SHA256 hex>`` under the key
``settings.PSEUDONYM_KEYS[version]`` (a keyed hash, because child identifiers have a small value
space: a plain hash could be reversed by hashing every possible identifier). The raw reference is
never stored, logged or shown — not even in a problem.

Columns whose header looks like a name, date of birth, address, postcode, NHS number or pupil number
are refused, as is any cell holding a valid NHS number (10 digits, mod-11 check digit). Their
values are blanked before the file is kept, so the refused data is not stored either.

Aggregates computed from child-level rows, stored as the aggregate values, follow each measure's
declared rule (``Measure.child_aggregation``):

* ``count``: ``value`` is 1 if the row counts (or empty), 0 if it does not; the aggregate is the
  number of rows that count (six rows sent as 1,0,0,0,0,1 are a count of 2).
* ``proportion`` (percentage measures): ``value`` is 1 if the outcome happened for the child, else 0;
  the numerator is the rows with 1, the denominator all the rows, the value 100 x num / den.
* ``mean`` and ``median`` (days measures): ``value`` is the child's number of days; the aggregate is
  their mean or median, with the number of rows as the denominator.
* ``aggregates_only`` (rates per 10,000 children need a population): child rows are refused.

A row may carry an ``event_date`` (within its period), so one child can have several events in a
period: a referral measure counts each referral. The same child, measure, group, period and event
date twice is a duplicate. A child is in at most one of the intervention and comparison groups in a
period (across measures): ``outcomes.parsing.ExclusiveGroups`` checks it within a file, and
``outcomes.services.stored_group_problems`` against the child rows behind other uploads' current
values (a dry run's child rows are stored for the check, then rolled back).

A row may also carry a ``start_date``: when the child's time to the event starts (a referral, the
start of the intervention), for time-to-event analysis (``reports.estimates.time_to_event``). It may
lie before the row's period, never after its event date or its period end; a row without an event
date is censored at its period end.
"""

import hashlib
import hmac
import re
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from outcomes.cells import factorized, remember

CHILD_REF = "child_ref"
TOKEN = re.compile(r"^pseudo:([A-Za-z0-9_.-]{1,20}):([0-9a-f]{64})$")
NHS_REMOVED = "[removed: an NHS number]"
REF_NHS = "pseudo:refused-nhs-number"

# Header words that name identifying data, with what they are (shown in the explanation).
IDENTIFYING = [
    (re.compile(r"(^|_)(first|last|given|family|fore|sur|full|child|middle)?_?names?($|_)|surname|forename"), "names"),
    (re.compile(r"initials?($|_)"), "initials"),
    (re.compile(r"(^|_)d_?o_?b($|_)|birth"), "dates of birth"),
    (re.compile(r"addr|street|(^|_)town($|_)|house|(^|_)flat($|_)"), "addresses"),
    (re.compile(r"post_?code|(^|_)zip($|_)"), "postcodes"),
    (re.compile(r"(^|_)n_?h_?s($|_)|(^|_)chi($|_)"), "NHS or CHI numbers"),
    (re.compile(r"(^|_)(upn|uln)($|_)|pupil"), "pupil numbers"),
    (re.compile(r"e_?mail"), "email addresses"),
    (re.compile(r"phone|mobile|(^|_)tel($|_)"), "phone numbers"),
]
# An NHS number however it is written: 943 476 5919, 943-476-5919, 943.476.5919, 94347 65919,
# NHS 9434765919, NHS no: 9434765919, +449434765919 (ten digits once the prefix is taken off).
NHS_PREFIX = re.compile(r"^(?:nhs\s*(?:no\.?|number)?\s*[:#]?\s*|\+44\s*)", re.IGNORECASE)
NHS_SHAPE = re.compile(r"^(\d{10}|\d{3}([ .-]?)\d{3}\2\d{4}|\d{5} \d{5})$")


def normalised_header(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


# The columns PINE reads: a header is one of them exactly (after normalising), or it is refused.
KNOWN_COLUMNS = (
    "child_ref",
    "measure",
    "period_start",
    "period_end",
    "event_date",
    "start_date",
    "group",
    "value",
    "numerator",
    "denominator",
)


def identifying_kind(header: str) -> str | None:
    """What an identifying column holds ("names", ...), or None for an ordinary column."""
    name = normalised_header(header)
    if name in KNOWN_COLUMNS:
        return None
    for pattern, kind in IDENTIFYING:
        if pattern.search(name):
            return kind
    return None


def is_nhs_number(text: str) -> bool:
    """Ten digits (3-3-4 with spaces, hyphens or dots, or 5 5; an "NHS" or "+44" prefix) whose
    tenth is the valid mod-11 check digit."""
    text = text.strip()
    if len(text) < 10 or len(text) > 40 or not text[-1].isdigit():
        return False
    text = NHS_PREFIX.sub("", text, count=1)
    if not NHS_SHAPE.match(text):
        return False
    digits = [int(c) for c in text if c.isdigit()]
    if len(digits) != 10:
        return False
    check = 11 - sum(d * w for d, w in zip(digits[:9], range(10, 1, -1))) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == digits[9]


def pseudonym(ref: str, *, key: str, version: str) -> str:
    if not key:
        raise ValueError(f"No pseudonym key for version {version!r}: set PSEUDONYM_KEYS.")
    digest = hmac.new(key.encode(), ref.strip().encode(), hashlib.sha256).hexdigest()
    return f"pseudo:{version}:{digest}"


def pseudonymise_refs(refs: np.ndarray, *, key: str, version: str) -> np.ndarray:
    """Child references pseudonymised (each distinct reference once); pseudonyms and empty cells
    are kept, and a reference that is an NHS number becomes :data:`REF_NHS` (refused later)."""
    codes, uniques = factorized(refs)
    done = np.empty(len(uniques), dtype=object)
    done[:] = [
        ref
        if not ref or ref == REF_NHS or TOKEN.match(ref)
        else REF_NHS
        if is_nhs_number(ref)
        else pseudonym(ref, key=key, version=version)
        for ref in uniques
    ]
    return remember(done.take(codes), codes, done)


def _nhs_removed(text: str) -> str:
    return NHS_REMOVED if is_nhs_number(text) else text


def sanitise_cells(cells: dict[str, np.ndarray], *, key: str, version: str) -> tuple[dict[str, np.ndarray], bool]:
    """A chunk's columns with child references pseudonymised, identifying columns' values blanked
    and NHS numbers removed; and whether anything of the kind was there."""
    clean, touched = {}, False
    for name, values in cells.items():
        if name and identifying_kind(name):
            clean[name], touched = np.full(len(values), "", dtype=object), True
        elif name == CHILD_REF:
            clean[name], touched = pseudonymise_refs(values, key=key, version=version), True
        else:
            codes, uniques = factorized(values)
            removed = [_nhs_removed(u) for u in uniques]
            if removed != list(uniques):
                touched = True
                kept = np.empty(len(removed), dtype=object)
                kept[:] = removed
                clean[name] = remember(kept.take(codes), codes, kept)
            else:
                clean[name] = values
    return clean, touched


# The rule a measure's child rows follow when it declares none: its unit's first (see measures.models).
DEFAULT_AGGREGATION = {"count": "count", "percentage": "proportion", "days": "mean", "rate_10k": "aggregates_only"}


class Totals:
    """Aggregate values from child rows, by each measure's rule (this module's docstring), added up
    chunk by chunk: per (measure, group, period start), the first row and its period end, the number
    of rows, how many have 1, the sum of their values and, for a median, the values themselves."""

    def __init__(self, measure_units: dict[str, str], aggregations: dict[str, str] | None = None):
        self.measure_units = measure_units
        self.aggregations = {code: DEFAULT_AGGREGATION.get(unit, "") for code, unit in measure_units.items()}
        self.aggregations.update(aggregations or {})
        # key -> [first row, period end, n, ones, sum, {value: rows with it} (for a median)]
        self.groups: dict[tuple, list] = {}
        self.other_ends: list[tuple[int, object, int, object]] = []  # (row, its end, first row, the first's end)

    def add(self, children: dict[str, np.ndarray]) -> None:
        """``children``: arrays ``lines, measure, period_start, period_end, group, value`` (checked rows)."""
        if not len(children["lines"]):
            return
        codes, uniques = pd.factorize(children["value"], use_na_sentinel=False)
        keys = pd.DataFrame({"m": children["measure"], "g": children["group"], "s": children["period_start"]})
        for (measure, group, start), positions in keys.groupby(["m", "g", "s"], sort=False).indices.items():
            total = self.groups.get((measure, group, start))
            if total is None:
                first = positions[0]
                total = self.groups[(measure, group, start)] = [
                    int(children["lines"][first]),
                    children["period_end"][first],
                    0,
                    0,
                    Decimal(0),
                    {},
                ]
            total[2] += len(positions)
            ends = children["period_end"][positions]
            for i in np.flatnonzero(ends != total[1])[:200]:  # enough to show; any one refuses the file
                self.other_ends.append((int(children["lines"][positions[i]]), ends[i], total[0], total[1]))
            rule = self.aggregations[measure]
            counts = np.bincount(codes[positions], minlength=len(uniques))
            for value, count in zip(uniques, counts):
                if count:
                    # an empty value counts for a count measure (each row is one event)
                    total[3] += int(count) if value == 1 or (rule == "count" and pd.isna(value)) else 0
                    if rule in ("mean", "median"):
                        total[4] += value * int(count)
                    if rule == "median":  # how many rows have each value: exact, and small (days repeat)
                        total[5][value] = total[5].get(value, 0) + int(count)

    def rows(self) -> list[tuple]:
        """(first row, measure, start, end, group, value, numerator, denominator), ordered as the rows came."""
        result = []
        for (measure, group, start), (first, end, n, ones, added, values) in self.groups.items():
            rule = self.aggregations[measure]
            if rule == "count":
                value, numerator, denominator = Decimal(ones), None, None
            elif rule == "proportion":
                value, numerator, denominator = _round(Decimal(100 * ones) / n), ones, n
            elif rule == "median":
                value, numerator, denominator = _round(_median(values)), None, n
            else:  # mean
                value, numerator, denominator = _round(added / n), None, n
            result.append((first, measure, start, end, group, value, numerator, denominator))
        return sorted(result, key=lambda r: r[0])


def _median(counts: dict[Decimal, int]) -> Decimal:
    """The median of values given as {value: how many rows have it}, exactly: the middle value, or
    the mean of the two middle values."""
    n = sum(counts.values())
    middle = [(n - 1) // 2, n // 2]  # the 0-based positions of the middle value(s)
    found, seen = [], 0
    for value in sorted(counts):
        seen += counts[value]
        while len(found) < 2 and middle[len(found)] < seen:
            found.append(value)
    return (found[0] + found[1]) / 2


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
