"""Reading and checking an uploaded outcome CSV: pure functions, no database.

The format (see README "Outcome data files"): one row per aggregate value, with the columns
``measure, period_start, period_end, group, value`` and optionally ``numerator, denominator``.
Dates are UK day-first (31/01/2025) or ISO (2025-01-31).
"""

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from outcomes.children import CHILD_REF, NHS_REMOVED, REF_NHS, TOKEN, aggregate, identifying_kind, is_nhs_number, sanitise

REQUIRED_COLUMNS = ("measure", "period_start", "period_end", "group", "value")
OPTIONAL_COLUMNS = ("numerator", "denominator")
GROUPS = ("intervention", "comparison", "all")
MAX_BYTES = 5 * 1024 * 1024
MAX_ERRORS = 200
MAX_ROWS = 100_000
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
class ChildRow:
    row: int
    child: str  # the pseudonym ("pseudo:<version>:<hex>"), never the raw reference
    measure: str
    period_start: date
    period_end: date
    group: str
    value: Decimal | None


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
    """Rows and problems of a CSV file (or, if the bytes are a workbook, of its first sheet)."""
    return parse_outcome_file(content, filename="", measure_units=measure_units)


def parse_outcome_file(content: bytes, *, filename: str, measure_units: dict[str, str]) -> tuple[list[OutcomeRow], list[Problem]]:
    """Aggregate rows and problems of an uploaded CSV or XLSX file (child-level rows aggregated)."""
    rows, _children, problems = parse_upload(content, filename=filename, measure_units=measure_units)
    return rows, problems


def parse_upload(content: bytes, *, filename: str, measure_units: dict[str, str]) -> tuple[list[OutcomeRow], list, list[Problem]]:
    """(aggregate rows, child rows, problems) of an uploaded CSV or XLSX file. Child rows, if the
    file has them, are what the aggregate rows were computed from. Any problem means the file is
    rejected whole: nothing is stored."""
    if not content.strip():
        return [], [], [Problem(0, "", "", "The file is empty.")]
    if len(content) > MAX_BYTES:
        return [], [], [Problem(0, "", "", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")]
    table = read_xlsx(content) if _is_workbook(content, filename) else read_csv(content)
    if isinstance(table, Problem):
        return [], [], [table]
    header, records = table
    rows, problems = check_records(header, records, measure_units=measure_units)
    if problems:
        return [], [], problems
    if rows and isinstance(rows[0], ChildRow):
        return [OutcomeRow(*values) for values in aggregate(rows, measure_units=measure_units)], rows, []
    return rows, [], []


def sanitise_upload(content: bytes, *, filename: str, key: str, version: str) -> bytes | None:
    """The upload with child references pseudonymised and identifying data removed, as CSV; None if
    there is nothing to change (or nothing readable: the check will say why)."""
    if not content.strip() or len(content) > MAX_BYTES:
        return None
    table = read_xlsx(content) if _is_workbook(content, filename) else read_csv(content)
    if isinstance(table, Problem):
        return None
    header, records = table
    return sanitise(header, records, key=key, version=version)


def _is_workbook(content: bytes, filename: str) -> bool:
    return content.startswith(b"PK\x03\x04") or filename.lower().endswith((".xlsx", ".xlsm"))


Table = tuple[list[str], Iterator[tuple[int, dict[str, str]]]]


def read_csv(content: bytes) -> Table | Problem:
    try:
        if b"\x00" in content:
            raise UnicodeDecodeError("utf-8", content, 0, 1, "NUL byte")
        text = decode(content)
    except UnicodeDecodeError:
        return Problem(0, "", "", "The file is not text. Save it as CSV (UTF-8).")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    reader.fieldnames = header

    def records():
        for line, record in enumerate(reader, start=2):
            yield line, {k: (v or "").strip() for k, v in record.items() if k is not None}

    return header, records()


def read_xlsx(content: bytes) -> Table | Problem:
    """The first sheet of a workbook, read in openpyxl's read-only mode. Formula cells are kept as
    their formula text (``=...``) so that the check refuses them, as it does in a CSV file."""
    import openpyxl  # only the upload worker needs it
    from openpyxl.utils.exceptions import InvalidFileException

    unreadable = Problem(
        0, "", "", "This looks like an Excel workbook but it cannot be read. Save it again as .xlsx or as CSV (UTF-8)."
    )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        return unreadable
    if not workbook.worksheets:
        return unreadable
    rows = workbook.worksheets[0].iter_rows(values_only=True)
    first = next(rows, None)
    if first is None:
        workbook.close()
        return Problem(0, "", "", "The first sheet of the workbook is empty.")
    header = [_cell_text(h).lower() for h in first]

    def records():
        try:
            for line, values in enumerate(rows, start=2):
                if line > MAX_ROWS + 1:
                    break
                yield line, {name: _cell_text(value) for name, value in zip(header, values) if name}
        finally:
            workbook.close()

    return header, records()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def check_records(
    header: list[str], records: Iterable[tuple[int, dict[str, str]]], *, measure_units: dict[str, str]
) -> tuple[list, list[Problem]]:
    """Aggregate rows (:class:`OutcomeRow`), or, if the header has ``child_ref``, child rows
    (:class:`ChildRow`); and every problem."""
    child_level = CHILD_REF in header
    required = (CHILD_REF, *[c for c in REQUIRED_COLUMNS if c != "value"]) if child_level else REQUIRED_COLUMNS
    problems = [
        Problem(
            1, h, "", f"This column looks like it holds {kind}. PINE does not take {kind}: delete the column and upload again."
        )
        for h in header
        if h and (kind := identifying_kind(h))
    ]
    problems += [Problem(1, c, "", "This column is missing.") for c in required if c not in header]
    if problems:
        return [], problems
    rows: list = []
    seen: dict[tuple, int] = {}
    for line, cells in records:
        if len(problems) >= MAX_ERRORS:
            break
        if line > MAX_ROWS + 1:
            problems.append(Problem(line, "", "", f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files."))
            break
        if not any(cells.values()):
            continue
        row_problems: list[Problem] = []

        def problem(column: str, reason: str, line=line, cells=cells, found=row_problems) -> None:
            # A child reference is never shown back, even pseudonymised.
            shown = "" if column == CHILD_REF else _shown(cells.get(column, ""))
            found.append(Problem(line, column, shown, reason))

        for column, value in cells.items():
            if value == NHS_REMOVED or (column != CHILD_REF and is_nhs_number(value)):
                row_problems.append(
                    Problem(line, column, "", "This looks like an NHS number. PINE does not take NHS numbers: remove it.")
                )
            elif column != CHILD_REF and value.startswith(FORMULA_PREFIXES) and not _is_number(value):
                problem(column, "Cells may not contain formulas. Paste values only.")
        measure = cells["measure"]
        unit = measure_units.get(measure)
        if unit is None:
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
        if child_level:
            child = _child_cells(cells, unit, problem)
            key = (child, measure, group, start)
            duplicate = "the same child, measure, group and period"
        else:
            value, numerator, denominator = _aggregate_cells(cells, unit, problem)
            key = (measure, group, start)
            duplicate = "the same measure, group and period"
        if not row_problems and key in seen:
            problem("period_start", f"Duplicate: row {seen[key]} has {duplicate}.")
        if row_problems:
            problems.extend(row_problems)
            continue
        seen[key] = line
        if child_level:
            rows.append(ChildRow(line, child, measure, start, end, group, _decimal(cells.get("value", ""))))
        else:
            rows.append(OutcomeRow(line, measure, start, end, group, value, numerator, denominator))
    if not rows and not problems:
        problems.append(Problem(0, "", "", "The file has a header but no data rows."))
    return rows, problems[:MAX_ERRORS]


def _aggregate_cells(cells: dict[str, str], unit: str | None, problem) -> tuple:
    value = _decimal(cells["value"])
    if value is None:
        problem("value", "Not a number.")
    elif value < 0:
        problem("value", "Values cannot be negative.")
    elif unit == "percentage" and value > 100:
        problem("value", "A percentage cannot be more than 100.")
    numerator = _count(cells.get("numerator", ""), "numerator", problem)
    denominator = _count(cells.get("denominator", ""), "denominator", problem)
    if numerator is not None and denominator is not None and numerator > denominator:
        problem("numerator", f"The numerator is larger than the denominator ({denominator}).")
    return value, numerator, denominator


def _child_cells(cells: dict[str, str], unit: str | None, problem) -> str:
    """The child's pseudonym, after checking the cells a child row has (see outcomes.children)."""
    ref = cells[CHILD_REF]
    if ref == REF_NHS:
        problem(CHILD_REF, "This child reference looks like an NHS number. Use your own case reference instead.")
    elif not ref:
        problem(CHILD_REF, "Give the child's reference (your case reference; it is pseudonymised as it is read).")
    elif not TOKEN.match(ref):
        problem(CHILD_REF, "The child reference was not pseudonymised. Upload the file again.")
    text = cells.get("value", "")
    value = _decimal(text)
    if unit == "rate_10k":
        problem("measure", "A rate per 10,000 children needs a population: send it as an aggregate row, not child rows.")
    elif unit == "percentage" and value not in (0, 1):
        problem("value", "For a percentage measure, give 1 if the outcome happened for this child, else 0.")
    elif unit == "days" and (value is None or value < 0):
        problem("value", "Give the child's number of days (0 or more).")
    elif unit == "count" and text and (value is None or value < 0):
        problem("value", "Leave the value empty (each row counts one child) or give a number.")
    for column in ("numerator", "denominator"):
        if cells.get(column):
            problem(column, "Leave this empty in child-level rows: it is computed from the children.")
    return ref


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
