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

import csv
import hashlib
import hmac
import io
import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

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


def sanitise(header: list[str], records, *, key: str, version: str) -> bytes | None:
    """The table as CSV with child references pseudonymised, identifying columns' values blanked and
    NHS numbers removed; or None when the table has nothing of the kind (keep the original bytes)."""
    identifying = {h for h in header if h and identifying_kind(h)}
    out_rows = []
    touched = bool(identifying) or CHILD_REF in header
    for _line, cells in records:
        row = []
        for name in header:
            value = cells.get(name, "")
            if name in identifying and value:
                value = ""
            elif name == CHILD_REF and value and not TOKEN.match(value):
                value = REF_NHS if is_nhs_number(value) else pseudonym(value, key=key, version=version)
                touched = True
            elif is_nhs_number(value):
                value, touched = NHS_REMOVED, True
            row.append(value)
        out_rows.append(row)
    if not touched:
        return None
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(out_rows)
    return buffer.getvalue().encode()


def aggregate(children: list, *, measure_units: dict[str, str]) -> list[tuple]:
    """Aggregate values from child rows (each with row, measure, period_start, period_end, group,
    value), by the rule in this module's docstring: (first row, measure, start, end, group, value,
    numerator, denominator), ordered as the rows came."""
    groups: dict[tuple, list] = defaultdict(list)
    for child in children:
        groups[(child.measure, child.group, child.period_start)].append(child)
    result = []
    for (measure, group, start), rows in groups.items():
        unit, n = measure_units[measure], len(rows)
        if unit == "count":
            value, numerator, denominator = Decimal(n), None, None
        elif unit == "percentage":
            numerator = sum(1 for r in rows if r.value == 1)
            value, denominator = _round(Decimal(100 * numerator) / n), n
        else:  # days
            value, numerator, denominator = _round(sum(r.value for r in rows) / n), None, n
        result.append((rows[0].row, measure, start, rows[0].period_end, group, value, numerator, denominator))
    return result


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
