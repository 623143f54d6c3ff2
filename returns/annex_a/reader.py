"""Reading an Ofsted Annex A workbook (xlsx, streamed with openpyxl's read-only mode) into
pseudonymised child-level tables, one a list. Headers need not be on row 1 (title rows, merged or
not, may sit above them); headings and cell labels are matched by tolerant rules (lists.py);
dates may be real dates, Excel serial numbers or text. What cannot be matched for sure is reported,
never guessed silently; no finding quotes a cell's value. A row's dates the measures depend on must
be in order (assessment start <= authorisation, section 47 start <= initial conference, plan start
<= end, started to be looked after <= ceased): a row that breaks one is an error."""

import math
import re
import zipfile
from datetime import date, datetime, timedelta
from typing import BinaryIO

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from returns.types import Problem, Pseudonymise, ReturnRead

from .lists import LISTS, AnnexList, list_from_name, normalise

KIND = "annex_a"
MAX_UNPACKED_BYTES = 2 * 1024**3
HEADER_SEARCH_ROWS = 15  # the header is looked for among a sheet's first rows
MAX_SHOWN = 20
EARLIEST = date(1970, 1, 1)
EXCEL_EPOCH = date(1899, 12, 30)
TEXT_DATES = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%d %B %Y", "%d %b %Y")
# Dates in a row that must be in order (the earlier field, the later): the rules the measures depend on.
ORDER = {
    "assessments": (("start", "authorised"),),
    "section_47": (("s47_start", "icpc_date"),),
    "protection_plans": (("plan_start", "plan_end"),),
    "looked_after": (("started", "ceased"),),
}
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
MAX_COUNT = 1_000  # a whole-number cell (previous plans) above this is not a count


class _Findings:
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        self.counts: dict[tuple, int] = {}

    def add(self, severity: str, where: str, field: str, message: str, kind: tuple) -> None:
        count = self.counts.get(kind, 0) + 1
        self.counts[kind] = count
        if count <= MAX_SHOWN:
            self.problems.append(Problem(severity, where, field, message))

    def close(self) -> None:
        for (severity, place, field, message), count in self.counts.items():
            if count > MAX_SHOWN:
                self.problems.append(Problem(severity, place, field, f"{count - MAX_SHOWN:,} more rows like this: {message}"))


def to_date(value) -> date | None | bool:
    """A cell as a date: a date, an Excel serial number, or text in a usual form. None if empty,
    False if it is not a date."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel's serial day numbers (1900 date system)
            return EXCEL_EPOCH + timedelta(days=int(value))
        return False
    text = str(value).strip()
    text = re.sub(r"\s+00:00(:00)?$", "", text)
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return EXCEL_EPOCH + timedelta(days=int(float(text)))
    for form in TEXT_DATES:
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    return False


def to_bool(value) -> bool | None | str:
    """A yes/no cell ("a) Yes", "Y", "No", 1, 0...): True, False, None if empty, "?" if neither."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = normalise(value)
    if not text:
        return None
    first = text.split(" ")[0]
    if text in YES or first in YES:
        return True
    if text in NO or first in NO:
        return False
    return "?"


def to_int(value) -> int | None | bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return False
    if not math.isfinite(number) or not 0 <= number <= MAX_COUNT:  # "nan", "inf", 1e300: no count of plans
        return False
    return int(number) if number == int(number) else False


def _headings(row) -> list[str]:
    return [normalise(cell) for cell in row]


def _match_header(annex: AnnexList, headings: list[str]) -> tuple[dict[str, int], dict[str, list[int]]]:
    """For each field the columns whose heading matches it."""
    found: dict[str, list[int]] = {}
    for f in annex.fields:
        columns = [i for i, h in enumerate(headings) if h and f.matches(h)]
        if columns:
            found[f.name] = columns
    return {name: columns[0] for name, columns in found.items()}, found


def _score(annex: AnnexList, headings: list[str]) -> int:
    single, _ = _match_header(annex, headings)
    if "child" not in single:
        return 0
    required = [f.name for f in annex.fields if f.required]
    return len(single) + 10 * sum(name in single for name in required)


def _find_header(rows: list[tuple], annex: AnnexList | None) -> tuple[int, AnnexList] | None:
    """The header row among the first rows, and the list it belongs to (the named one, or the one
    its headings fit best)."""
    best = None
    for index, row in enumerate(rows):
        headings = _headings(row)
        candidates = [annex] if annex else [a for a in LISTS if a.fields]
        for candidate in candidates:
            score = _score(candidate, headings)
            if score and (best is None or score > best[0]):
                best = (score, index, candidate)
    return (best[1], best[2]) if best else None


def _read_sheet(name: str, sheet, annex: AnnexList | None, findings: _Findings, problems: list[Problem]):
    rows = sheet.iter_rows(values_only=True)
    top = []
    for row in rows:
        top.append(row)
        if len(top) >= HEADER_SEARCH_ROWS:
            break
    if annex is None:  # a title row may name the list
        for row in top:
            for cell in row:
                if isinstance(cell, str) and (titled := list_from_name(cell)) is not None:
                    annex = titled
                    break
            if annex:
                break
    if annex is not None and not annex.fields:  # the adopters' list: recognised, not read
        return None
    header = _find_header(top, annex)
    if header is None:
        if annex is not None:
            problems.append(Problem("error" if any(f.required for f in annex.fields) else "warning", name, "Child unique ID",
                                    f"No header row with a child identifier was found for {annex.label}."))  # fmt: skip
        return None
    header_index, annex = header
    headings = _headings(top[header_index])
    single, found = _match_header(annex, headings)
    fields = {f.name: f for f in annex.fields}
    for field_name, columns in found.items():
        if len(columns) > 1:
            severity = "error" if fields[field_name].required else "warning"
            problems.append(Problem(severity, f"{name}, row {header_index + 1}", fields[field_name].label,
                                    f"{len(columns)} columns could be the {fields[field_name].label}; the first is used. "
                                    "Rename the others."))  # fmt: skip
    for f in annex.fields:
        if f.required and f.name not in single:
            message = f"No column for the {f.label} was found in {annex.label}, and the measures need it."
            problems.append(Problem("error", f"{name}, row {header_index + 1}", f.label, message))
    for column in range(len(headings)):
        matched = [f for f in annex.fields if f.name in single and single[f.name] == column]
        if len(matched) > 1:
            message = f"One column matches more than one field ({', '.join(f.label for f in matched)})."
            problems.append(Problem("warning", f"{name}, row {header_index + 1}", matched[0].label, message))
    taken = {f.name: single[f.name] for f in annex.fields if f.name in single}
    records = {f: [] for f in taken}
    first_row = header_index + 2
    all_rows = top[header_index + 1 :]
    line = first_row - 1
    for row in _chain(all_rows, rows):
        line += 1
        if row is None or all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row):
            continue
        where = f"{name}, row {line}"
        values = {}
        for field_name, column in taken.items():
            f = fields[field_name]
            cell = row[column] if column < len(row) else None
            values[field_name] = _convert(f, cell, where, findings, name)
        if values.get("child") is None:
            findings.add("error", where, "Child unique ID", "The child identifier is empty.",
                         ("error", name, "Child unique ID", "The child identifier is empty."))  # fmt: skip
        for earlier, later in ORDER.get(annex.name, ()):
            first, then = values.get(earlier), values.get(later)
            if first is not None and then is not None and then < first:
                label = fields[later].label
                message = f"The {label} is before the {fields[earlier].label}."
                findings.add("error", where, label, message, ("error", name, label, message))
        for field_name, value in values.items():
            records[field_name].append(value)
    return annex, records


def _chain(first, rest):
    yield from first
    yield from rest


def _convert(f, cell, where: str, findings: _Findings, sheet: str):
    if f.kind == "child":
        if cell is None:
            return None
        text = str(cell).strip()
        if isinstance(cell, float) and cell == int(cell):
            text = str(int(cell))
        return text or None
    if f.kind == "date":
        value = to_date(cell)
        severity = "error" if f.required else "warning"
        if value is False:
            message = f"The {f.label} is not a date."
            findings.add(severity, where, f.label, message, (severity, sheet, f.label, message))
            return None
        if value is not None and not (EARLIEST <= value <= date.today()):
            message = f"The {f.label} is not a plausible date (before 1970 or in the future)."
            findings.add(severity, where, f.label, message, (severity, sheet, f.label, message))
            return None
        if value is None and not f.blank_ok:
            message = f"The {f.label} is empty; it is required."
            findings.add("error", where, f.label, message, ("error", sheet, f.label, message))
        return value
    if f.kind == "bool":
        value = to_bool(cell)
        if value == "?":
            message = f"The {f.label} is neither yes nor no; it is taken as unknown."
            findings.add("warning", where, f.label, message, ("warning", sheet, f.label, message))
            return None
        return value
    if f.kind == "int":
        value = to_int(cell)
        if value is False:
            message = f"The {f.label} is not a whole number; it is taken as unknown."
            findings.add("warning", where, f.label, message, ("warning", sheet, f.label, message))
            return None
        return value
    if f.kind == "reason":
        return reason_code(cell)
    return None


REASON_CODE = re.compile(r"\bE(1[1-7]|2|3|41|4[5-8]|4A|4B|5|6|7|8|9)\b", re.IGNORECASE)
REASON_WORDS = (
    (re.compile(r"adopt", re.IGNORECASE), "ADOPTED"),
    (re.compile(r"special guardianship|\bsgo\b", re.IGNORECASE), "SPECIAL_GUARDIANSHIP"),
    (re.compile(r"return(ed)? home", re.IGNORECASE), "RETURNED_HOME"),
)


def reason_code(cell) -> str | None:
    """Why a child ceased to be looked after, as its SSDA903 code (E11, E4A...) if the cell gives
    one, else a category from its words (ADOPTED, SPECIAL_GUARDIANSHIP, RETURNED_HOME, OTHER). Free
    text is never kept: it could name someone."""
    if cell is None or not str(cell).strip():
        return None
    text = str(cell)
    code = REASON_CODE.search(text)
    if code:
        return f"E{code.group(1).upper()}"
    return next((category for pattern, category in REASON_WORDS if pattern.search(text)), "OTHER")


def _frame(annex: AnnexList, records: dict[str, list], pseudonyms: Pseudonymise, cache: dict) -> pd.DataFrame:
    frame = pd.DataFrame(records)
    columns = {}
    for f in annex.fields:
        if f.name not in frame.columns:
            values = pd.Series([None] * len(frame), dtype=object)
        else:
            values = frame[f.name]
        if f.kind == "child":
            columns["child"] = values.map(lambda c: None if c is None else cache.setdefault(c, pseudonyms(c))).astype("string")
        elif f.kind == "date":
            parsed = pd.to_datetime(values, errors="coerce")
            columns[f.name] = parsed.dt.to_period("M").dt.to_timestamp() if f.name == "dob" else parsed
        elif f.kind == "bool":
            columns[f.name] = values.astype("boolean")
        elif f.kind == "int":
            columns[f.name] = values.astype("Int64")
        else:
            columns[f.name] = values.astype("string")
    return pd.DataFrame(columns)


def _too_large(stream: BinaryIO) -> bool:
    """A workbook unpacking to more than MAX_UNPACKED_BYTES (a defence against zip bombs)."""
    try:
        with zipfile.ZipFile(stream) as archive:
            return sum(member.file_size for member in archive.infolist()) > MAX_UNPACKED_BYTES
    except (zipfile.BadZipFile, OSError):
        return False  # opening it says what is wrong
    finally:
        stream.seek(0)


def read(files: list[tuple[str, BinaryIO]], *, pseudonymise: Pseudonymise) -> ReturnRead:
    """The workbook's lists read, checked and pseudonymised. Never raises on bad input."""
    problems: list[Problem] = []
    findings = _Findings(problems)
    gathered: dict[str, tuple[AnnexList, dict[str, list]]] = {}
    for file_name, stream in files:
        if _too_large(stream):
            problems.append(Problem("error", file_name, "", "The workbook is too large to unpack."))
            continue
        try:
            workbook = load_workbook(stream, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
            problems.append(Problem("error", file_name, "", "The file could not be opened as an Excel workbook (xlsx)."))
            continue
        try:
            for sheet in workbook.worksheets:
                where = f"{file_name}, sheet {sheet.title}"
                annex = list_from_name(sheet.title)
                result = _read_sheet(where, sheet, annex, findings, problems)
                if result is None:
                    continue
                annex, records = result
                if annex.name in gathered:
                    problems.append(Problem("warning", where, "", f"A second sheet holds {annex.label}; its rows are added."))
                    for key, values in records.items():
                        gathered[annex.name][1].setdefault(key, []).extend(values)
                else:
                    gathered[annex.name] = (annex, records)
        finally:
            workbook.close()
    findings.close()
    if not gathered and not any(p.severity == "error" for p in problems):
        problems.append(Problem("error", "", "", "No Annex A list was found: no sheet has a child identifier column under a "
                                "heading row of an Annex A list."))  # fmt: skip
    cache: dict[str, str] = {}
    tables = {}
    for annex in LISTS:
        if not annex.fields:  # the adopters' list is about adopters, not children: recognised, not read
            continue
        records = gathered.get(annex.name, (annex, {f.name: [] for f in annex.fields}))[1]
        tables[annex.name] = _frame(annex, records, pseudonymise, cache)
    return ReturnRead(
        kind=KIND,
        tables=tables,
        children=len(set(cache.values())),
        records=sum(len(t) for t in tables.values()),
        problems=problems,
    )


__all__ = ["KIND", "read", "to_date", "to_bool", "reason_code"]
