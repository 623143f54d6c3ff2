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

Aggregates computed from child-level rows, stored as the aggregate values (the rule):

* ``count`` measures: the number of distinct children; ``value`` may be left empty.
* ``percentage`` measures: ``value`` is 1 if the outcome happened for the child, else 0; the
  numerator is the children with 1, the denominator all the children, the value 100 x num / den.
* ``days`` measures: ``value`` is the child's number of days; the aggregate is their mean, with the
  number of children as the denominator.
* ``rate_10k`` measures need a population, so they cannot be computed from child rows: send them as
  aggregate rows.
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
    (re.compile(r"(^|_)dob($|_)|birth"), "dates of birth"),
    (re.compile(r"address|street|(^|_)town($|_)"), "addresses"),
    (re.compile(r"post_?code|(^|_)zip($|_)"), "postcodes"),
    (re.compile(r"(^|_)nhs"), "NHS numbers"),
    (re.compile(r"(^|_)(upn|uln)($|_)"), "pupil numbers"),
]
NHS_SHAPE = re.compile(r"^\d{3}[ -]?\d{3}[ -]?\d{4}$")


def normalised_header(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def identifying_kind(header: str) -> str | None:
    """What an identifying column holds ("names", ...), or None for an ordinary column."""
    name = normalised_header(header)
    if name.startswith(("measure", "child_ref", "group", "period", "value", "numerator", "denominator")):
        return None
    for pattern, kind in IDENTIFYING:
        if pattern.search(name):
            return kind
    return None


def is_nhs_number(text: str) -> bool:
    """Ten digits (spaces or hyphens allowed as 3-3-4) whose tenth is the valid mod-11 check digit."""
    if not NHS_SHAPE.match(text.strip()):
        return False
    digits = [int(c) for c in text if c.isdigit()]
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


class Totals:
    """Aggregate values from child rows, by the rule in this module's docstring, added up chunk by
    chunk: per (measure, group, period start), the first row and its period end, the number of
    children, how many have 1, and the sum of their values."""

    def __init__(self, measure_units: dict[str, str]):
        self.measure_units = measure_units
        self.groups: dict[tuple, list] = {}  # key -> [first row, period end, n, ones, sum]

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
                ]
            total[2] += len(positions)
            unit = self.measure_units[measure]
            if unit in ("percentage", "days"):
                counts = np.bincount(codes[positions], minlength=len(uniques))
                for value, count in zip(uniques, counts):
                    if count:
                        total[3] += int(count) if value == 1 else 0
                        total[4] += value * int(count)

    def rows(self) -> list[tuple]:
        """(first row, measure, start, end, group, value, numerator, denominator), ordered as the rows came."""
        result = []
        for (measure, group, start), (first, end, n, ones, added) in self.groups.items():
            unit = self.measure_units[measure]
            if unit == "count":
                value, numerator, denominator = Decimal(n), None, None
            elif unit == "percentage":
                value, numerator, denominator = _round(Decimal(100 * ones) / n), ones, n
            else:  # days
                value, numerator, denominator = _round(added / n), None, n
            result.append((first, measure, start, end, group, value, numerator, denominator))
        return sorted(result, key=lambda r: r[0])


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
