"""Reading and checking an uploaded outcome CSV: pure functions, no database.

The format (see README "Outcome data files"): one row per aggregate value, with the columns
``measure, period_start, period_end, group, value`` and optionally ``numerator, denominator``.
Dates are UK day-first (31/01/2025) or ISO (2025-01-31).
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

REQUIRED_COLUMNS = ("measure", "period_start", "period_end", "group", "value")
OPTIONAL_COLUMNS = ("numerator", "denominator")
GROUPS = ("intervention", "comparison", "all")
MAX_BYTES = 5 * 1024 * 1024
MAX_ERRORS = 200
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Problem:
    row: int  # the line number in the file, counting the header as 1; 0 for the whole file
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}


@dataclass(frozen=True)
class OutcomeRow:
    row: int
    measure: str
    period_start: date
    period_end: date
    group: str
    value: Decimal
    numerator: int | None
    denominator: int | None


def decode(content: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), else Windows-1252, as spreadsheets save it."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="strict")


def parse_date(text: str) -> date | None:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _shown(value: str) -> str:
    return value if len(value) <= 60 else value[:57] + "..."


def parse_outcome_csv(content: bytes, *, measure_units: dict[str, str]) -> tuple[list[OutcomeRow], list[Problem]]:
    """Rows and problems. Any problem means the file is rejected whole: nothing is stored."""
    if not content.strip():
        return [], [Problem(0, "", "", "The file is empty.")]
    if len(content) > MAX_BYTES:
        return [], [Problem(0, "", "", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")]
    if content.startswith(b"PK\x03\x04"):
        return [], [Problem(0, "", "", "This looks like an Excel workbook. Save it as CSV (UTF-8) and upload that.")]
    try:
        if b"\x00" in content:
            raise UnicodeDecodeError("utf-8", content, 0, 1, "NUL byte")
        text = decode(content)
    except UnicodeDecodeError:
        return [], [Problem(0, "", "", "The file is not text. Save it as CSV (UTF-8).")]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return [], [Problem(1, c, "", "This column is missing.") for c in missing]

    rows: list[OutcomeRow] = []
    problems: list[Problem] = []
    seen: dict[tuple, int] = {}
    for line, record in enumerate(reader, start=2):
        if len(problems) >= MAX_ERRORS:
            break
        cells = {k: (v or "").strip() for k, v in record.items() if k is not None}
        if not any(cells.values()):
            continue
        row_problems: list[Problem] = []

        def problem(column: str, reason: str, line=line, cells=cells, found=row_problems) -> None:
            found.append(Problem(line, column, _shown(cells.get(column, "")), reason))

        for column, value in cells.items():
            if value.startswith(FORMULA_PREFIXES) and not _is_number(value):
                problem(column, "Cells may not contain formulas. Paste values only.")
        measure = cells["measure"]
        if measure not in measure_units:
            problem("measure", "Unknown measure code. Use a code from the list on the evaluation page.")
        start, end = parse_date(cells["period_start"]), parse_date(cells["period_end"])
        if start is None:
            problem("period_start", "Not a date. Use DD/MM/YYYY, for example 01/04/2025.")
        if end is None:
            problem("period_end", "Not a date. Use DD/MM/YYYY, for example 30/04/2025.")
        if start and end and end < start:
            problem("period_end", "The period ends before it starts.")
        group = cells["group"].lower()
        if group not in GROUPS:
            problem("group", f"Use one of: {', '.join(GROUPS)}.")
        value = _decimal(cells["value"])
        if value is None:
            problem("value", "Not a number.")
        elif value < 0:
            problem("value", "Values cannot be negative.")
        elif measure_units.get(measure) == "percentage" and value > 100:
            problem("value", "A percentage cannot be more than 100.")
        numerator = _count(cells.get("numerator", ""), "numerator", problem)
        denominator = _count(cells.get("denominator", ""), "denominator", problem)
        if numerator is not None and denominator is not None and numerator > denominator:
            problem("numerator", f"The numerator is larger than the denominator ({denominator}).")
        key = (measure, group, start)
        if not row_problems and key in seen:
            problem("period_start", f"Duplicate: row {seen[key]} has the same measure, group and period.")
        if row_problems:
            problems.extend(row_problems)
            continue
        seen[key] = line
        rows.append(OutcomeRow(line, measure, start, end, group, value, numerator, denominator))
    if not rows and not problems:
        problems.append(Problem(0, "", "", "The file has a header but no data rows."))
    return rows, problems[:MAX_ERRORS]


def _is_number(text: str) -> bool:
    return _decimal(text) is not None


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _count(text: str, column: str, problem) -> int | None:
    if text == "":
        return None
    value = _decimal(text)
    if value is None or value < 0 or value != value.to_integral_value():
        problem(column, "Must be a whole number of children (0 or more).")
        return None
    return int(value)
