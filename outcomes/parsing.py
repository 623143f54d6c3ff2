"""Reading and checking an uploaded outcome file: pure functions, no database.

The format (see README "Outcome data files"): one row per aggregate value, with the columns
``measure, period_start, period_end, group, value`` and optionally ``numerator, denominator``, or
child-level rows with ``child_ref`` (see :mod:`outcomes.children`). Dates are UK day-first
(31/01/2025) or ISO (2025-01-31).

A file is read in chunks of rows (:func:`read_chunks`: pandas for CSV, openpyxl for XLSX) and each
chunk is checked by :class:`Checker`, vectorised: every rule is worked out once per distinct value
of a column (a file has few distinct measures, dates, groups and values), then spread over the
rows with numpy. Problems come out in the order a row-by-row check would give them.
"""

import codecs
import csv
import difflib
import io
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import BinaryIO

import numpy as np
import pandas as pd

from measures.library import DISPLAY_DECIMALS
from outcomes.cells import factorized, mapped, remember, rows
from outcomes.children import (
    CHILD_REF,
    DEFAULT_AGGREGATION,
    KNOWN_COLUMNS,
    NHS_REMOVED,
    REF_NHS,
    TOKEN,
    Totals,
    identifying_kind,
    is_nhs_number,
    normalised_header,
    sanitise_cells,
)

REQUIRED_COLUMNS = ("measure", "period_start", "period_end", "group", "value")
OPTIONAL_COLUMNS = ("numerator", "denominator")
EVENT_DATE = "event_date"  # child-level rows only: one child may have several events in a period
START_DATE = "start_date"  # child-level rows only: when the child's time to the event starts
GROUPS = ("intervention", "comparison", "all")
MAX_ERRORS = 200
CHUNK_ROWS = 50_000
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
    value: Decimal | None  # None: not estimable (a denominator of 0)
    numerator: int | None
    denominator: int | None


def parse_date(text: str) -> date | None:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _shown(value: str) -> str:
    return value if len(value) <= 60 else value[:57] + "..."


# --- reading ------------------------------------------------------------------------------------------


def upload_limits() -> tuple[int, int]:
    """(bytes, rows): the largest upload PINE reads (settings ``OUTCOME_UPLOAD_MAX_BYTES``,
    ``OUTCOME_UPLOAD_MAX_ROWS``)."""
    from django.conf import settings

    return settings.OUTCOME_UPLOAD_MAX_BYTES, settings.OUTCOME_UPLOAD_MAX_ROWS


def too_large_problem(max_bytes: int) -> "Problem":
    return Problem(0, "", "", f"The file is larger than {max_bytes / (1024 * 1024):,.0f} MB. Split it into smaller files.")


NOT_TEXT = "The file is not text. Save it as CSV (UTF-8)."
EMPTY_FILE = "The file is empty. Choose the file with the data, or fill in the template from the evaluation page."
DUPLICATE_FIX = "Remove one of the two rows, or correct the one that is wrong."
CHILD_DUPLICATE_FIX = (
    f"{DUPLICATE_FIX} If they are two events of the child in the period, add an event_date column giving each one's date."
)
NO_DATA_ROWS = (
    "The file has a header but no data rows. Add a row below the header for each value "
    "(rows whose first cell starts with # are notes, and are not read)."
)
MAX_COLUMNS = 500  # a header wider than this is refused before any row is read
MAX_HEADER_CHARS = 100_000
# Workbooks: what openpyxl would unpack, capped before it does (a small file can unzip to gigabytes,
# and openpyxl holds every shared string in memory).
MAX_SHEET_XML_BYTES = 2 * 1024**3
MAX_SHARED_STRINGS = 2_000_000
MAX_SHARED_STRINGS_XML_BYTES = 200 * 1024**2
TEXT_BLOCK = 1 << 20  # bytes decoded at a time


@dataclass
class Chunk:
    """Rows of a file: their line numbers (header = 1) and, per column, the stripped cell texts."""

    lines: np.ndarray
    cells: dict[str, np.ndarray] = field(default_factory=dict)  # object arrays of str

    def __len__(self) -> int:
        return len(self.lines)


class UnreadableFile(Exception):
    """Raised while a file's rows are read: the file cannot be read on (``problem`` says why)."""

    def __init__(self, problem: "Problem"):
        super().__init__(problem.reason)
        self.problem = problem


@dataclass
class Table:
    header: list[str]
    chunks: Iterator[Chunk]
    fraction: Callable[[int], float]  # how much of the file has been read, given the last line read (for progress)


class TextStream:
    """The text of a binary file, decoded block by block as pandas reads it: UTF-8 (with or without a
    byte-order mark), else Windows-1252, as spreadsheets save it. Until a byte that is not UTF-8
    turns up the file is read as UTF-8; if everything before it was ASCII (which both encodings read
    alike) the file is then read as Windows-1252 from there. A NUL byte, or a byte neither encoding
    has, raises :class:`UnreadableFile`. Blocks end at a line end, and a line of spaces becomes a
    (blank) row of the file, numbered like any other (pandas would skip it)."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.bytes_read = 0
        self.lines_decoded = 0
        self._utf8 = codecs.getincrementaldecoder("utf-8-sig")()
        self._ascii_so_far = True
        self._buffer = ""  # decoded, ready to hand out
        self._partial = ""  # decoded, after the last line end
        self._eof = False

    def _decode(self, data: bytes, final: bool) -> str:
        if b"\x00" in data:
            raise UnreadableFile(Problem(0, "", "", NOT_TEXT))
        if self._utf8 is not None:
            try:
                text = self._utf8.decode(data, final)
            except UnicodeDecodeError:
                # Held bytes of a sequence begun in the block before: read again as Windows-1252.
                # (If earlier blocks had UTF-8 beyond ASCII the file mixes encodings: it is read on
                # as Windows-1252, as a whole file of the kind always was.)
                data = self._utf8.getstate()[0] + data
                self._utf8 = None
            else:
                if self._ascii_so_far and not data.removeprefix(codecs.BOM_UTF8).isascii():
                    self._ascii_so_far = False
                return text
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise UnreadableFile(Problem(0, "", "", NOT_TEXT)) from None

    def _fill(self) -> bool:
        """Decode the next block into the buffer; False at the end of the file."""
        if self._eof:
            return False
        data = self.raw.read(TEXT_BLOCK)
        self.bytes_read += len(data)
        text = self._partial + self._decode(data, final=not data)
        if data:
            cut = text.rfind("\n") + 1
            text, self._partial = text[:cut], text[cut:]
        else:
            self._eof, self._partial = True, ""
        self.lines_decoded += text.count("\n")
        if "\n " in text or "\n\t" in text or text.startswith((" ", "\t")):
            text = WHITESPACE_LINE.sub(",", text)
        self._buffer += text
        return True

    def read(self, size: int = -1) -> str:
        while (size < 0 or len(self._buffer) < size) and self._fill():
            pass
        if size < 0:
            size = len(self._buffer)
        text, self._buffer = self._buffer[:size], self._buffer[size:]
        return text

    def readline(self, limit: int = -1) -> str:
        """The next line (with its end), or ``limit`` characters of it."""
        limit = limit if limit >= 0 else 1 << 62
        while "\n" not in self._buffer[:limit] and len(self._buffer) < limit and self._fill():
            pass
        end = self._buffer.find("\n", 0, limit)
        end = limit if end < 0 else end + 1
        line, self._buffer = self._buffer[:end], self._buffer[end:]
        return line

    def rest_is_blank(self) -> bool:
        while not self._buffer.strip():
            self._buffer = ""
            if not self._fill():
                return True
        return False


def read_chunks(
    raw: BinaryIO,
    *,
    filename: str,
    size: int,
    chunk_rows: int = CHUNK_ROWS,
    max_rows: int | None = None,
    first_chunk_rows: int | None = None,
) -> Table | Problem:
    """The header (lower-cased) and the rows in chunks, of a CSV file or a workbook's first sheet,
    read from the binary file ``raw`` of ``size`` bytes as the rows are asked for. The chunks have
    ``chunk_rows`` rows, or grow to that from ``first_chunk_rows`` (:func:`chunk_sizes`)."""
    max_bytes, default_rows = upload_limits()
    if size > max_bytes:
        return too_large_problem(max_bytes)
    start = raw.read(4)
    raw.seek(0)
    if start == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        return read_xlsx(raw, chunk_rows=chunk_rows, max_rows=max_rows or default_rows, first_chunk_rows=first_chunk_rows)
    return read_csv(raw, size=size, chunk_rows=chunk_rows, first_chunk_rows=first_chunk_rows)


def chunk_sizes(chunk_rows: int, first_chunk_rows: int | None = None) -> Iterator[int]:
    """How many rows each chunk has: ``first_chunk_rows`` (if fewer), then half as many again each
    time up to ``chunk_rows``, then ``chunk_rows`` on. A small first chunk is checked, and can be
    stored, sooner; growing by half each time, each chunk is read and checked while the one before
    it is stored, since storing a row takes longer than reading and checking it."""
    size = min(first_chunk_rows or chunk_rows, chunk_rows)
    while True:
        yield size
        size = min(size + size // 2 + 1, chunk_rows)


def _columns(header: list[str]) -> dict[str, int]:
    """Each distinct column name and the position its values come from (the last of equal names)."""
    positions: dict[str, int] = {}
    for position, name in enumerate(header):
        positions[name] = position
    return positions


WHITESPACE_LINE = re.compile(r"^[ \t]+(?=\r?$)", re.MULTILINE)


def _too_wide() -> "Problem":
    return Problem(
        1, "", "", f"The file has more than {MAX_COLUMNS} columns. Keep only the columns of the format, and upload it again."
    )


def read_csv(raw: BinaryIO, *, size: int, chunk_rows: int = CHUNK_ROWS, first_chunk_rows: int | None = None) -> Table | Problem:
    stream = TextStream(raw)
    try:
        # The header: one record, perhaps over several lines (a quoted line end), within limits.
        read = 0

        def header_lines():
            nonlocal read
            while read < MAX_HEADER_CHARS and (line := stream.readline(MAX_HEADER_CHARS - read)):
                read += len(line)
                yield line

        first = next(csv.reader(header_lines()), [])
        if read >= MAX_HEADER_CHARS or len(first) > MAX_COLUMNS:
            return _too_wide()
        if not "".join(first).strip() and stream.rest_is_blank():
            return Problem(0, "", "", EMPTY_FILE)
    except UnreadableFile as unreadable:
        return unreadable.problem
    except csv.Error:
        return Problem(1, "", "", 'The header cannot be read. Check its quote marks ("), or save the file again as CSV.')
    header = [normalised_header(h) for h in first]
    positions = _columns(header)

    def chunks():
        if not header or not "".join(first):
            return
        line = 2
        try:
            reader = pd.read_csv(
                stream,
                header=None,
                names=list(range(len(header))),  # a row shorter than the header gets empty cells
                usecols=range(len(header)),  # cells beyond the header are not read
                dtype=object,
                keep_default_na=False,
                na_filter=False,
                chunksize=chunk_rows,
                engine="c",
            )
            sizes = chunk_sizes(chunk_rows, first_chunk_rows)
            while True:
                try:
                    frame = reader.get_chunk(next(sizes))
                except StopIteration:  # the end of the file
                    reader.close()
                    return
                values = frame.to_numpy(dtype=object)
                lines = np.arange(line, line + len(frame))
                line += len(frame)
                data = ~_notes(values[:, 0])
                if not data.all():
                    values, lines = values[data], lines[data]
                chunk = Chunk(lines)
                for name, position in positions.items():
                    chunk.cells[name] = _stripped(values[:, position])
                yield chunk
        except pd.errors.EmptyDataError:  # a header and nothing else
            return
        except (pd.errors.ParserError, ValueError) as error:
            raise UnreadableFile(_csv_problem(error, line)) from None

    def fraction(line: int) -> float:
        # The lines in the file, estimated from the lines in the part of it decoded so far.
        lines = stream.lines_decoded * size / stream.bytes_read if stream.bytes_read else 1
        return min(line / max(lines, 1), 1.0)

    return Table(header, chunks(), fraction)


def _csv_problem(error: Exception, line: int) -> "Problem":
    if "EOF inside string" in str(error):
        reason = 'A quote mark (") opens a cell that never closes. Check the quotes in the file, or save it again as CSV.'
    else:
        reason = "Some rows have fewer cells than the header. Save the file again as CSV, with a cell for every column."
    return Problem(line, "", "", reason)


NOTE = "#"


def _notes(first_cells: np.ndarray) -> np.ndarray:
    """Which rows are notes, not data: those whose first cell starts with "#" (the template's example)."""
    codes, uniques = pd.factorize(first_cells)
    is_note = np.array([str(u).lstrip().startswith(NOTE) for u in uniques], dtype=bool)
    return is_note.take(codes) if len(is_note) else np.zeros(len(first_cells), dtype=bool)


def _stripped(column: np.ndarray) -> np.ndarray:
    codes, uniques = pd.factorize(column)
    stripped = np.empty(len(uniques), dtype=object)
    stripped[:] = [u.strip() for u in uniques]
    return remember(stripped.take(codes), codes, stripped)


def _workbook_problem(raw: BinaryIO) -> "Problem | None":
    """A workbook that would unpack to more than PINE reads (a zip bomb), found from the zip's own
    directory and a count of the shared strings, before openpyxl unpacks anything."""
    too_big = Problem(
        0,
        "",
        "",
        "The workbook unpacks to more data than PINE reads. Save its first sheet as CSV (UTF-8) and upload that.",
    )
    with zipfile.ZipFile(raw) as archive:
        members = {info.filename: info for info in archive.infolist()}
        sheets = [info for name, info in members.items() if name.startswith("xl/worksheets/") and name.endswith(".xml")]
        if any(info.file_size > MAX_SHEET_XML_BYTES for info in sheets):
            return too_big
        strings = members.get("xl/sharedStrings.xml")
        if strings is None:
            return None
        if strings.file_size > MAX_SHARED_STRINGS_XML_BYTES:
            return too_big
        count, tail = 0, b""
        with archive.open(strings) as xml:
            while block := xml.read(TEXT_BLOCK):
                text = tail + block
                count += text.count(b"<si>") + text.count(b"<si ")
                tail = text[-3:]
                count -= tail.count(b"<si>") + tail.count(b"<si ")  # counted again with the next block
                if count > MAX_SHARED_STRINGS:
                    return too_big
    return None


def read_xlsx(
    raw: BinaryIO, *, chunk_rows: int = CHUNK_ROWS, max_rows: int | None = None, first_chunk_rows: int | None = None
) -> Table | Problem:
    """The first sheet of a workbook, read in openpyxl's read-only mode. Formula cells are kept as
    their formula text (``=...``) so that the check refuses them, as it does in a CSV file."""
    import openpyxl  # only the upload worker needs it
    from openpyxl.utils.exceptions import InvalidFileException

    max_rows = max_rows or upload_limits()[1]
    unreadable = Problem(
        0, "", "", "This looks like an Excel workbook but it cannot be read. Save it again as .xlsx or as CSV (UTF-8)."
    )
    try:
        problem = _workbook_problem(raw)
        if problem is not None:
            return problem
        raw.seek(0)
        workbook = openpyxl.load_workbook(raw, read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, EOFError):
        return unreadable
    if not workbook.worksheets:
        return unreadable
    rows = workbook.worksheets[0].iter_rows(values_only=True)
    first = next(rows, None)
    if first is None:
        workbook.close()
        return Problem(
            0,
            "",
            "",
            "The first sheet of the workbook is empty. Put the data on the first sheet, with the header in its first row.",
        )
    if len(first) > MAX_COLUMNS and any(v not in (None, "") for v in first[MAX_COLUMNS:]):
        workbook.close()
        return _too_wide()
    header = [normalised_header(_cell_text(h)) for h in first[:MAX_COLUMNS]]
    positions = {name: position for name, position in _columns(header).items() if name}
    total = max(workbook.worksheets[0].max_row or 1, 1)

    def chunk_of(lines: list[int], block: list[tuple]) -> Chunk:
        chunk = Chunk(np.array(lines))
        for name, position in positions.items():
            chunk.cells[name] = np.array([_cell_text(r[position]) if position < len(r) else "" for r in block], dtype=object)
        return chunk

    def chunks():
        lines, block = [], []
        sizes = chunk_sizes(chunk_rows, first_chunk_rows)
        size = next(sizes)
        try:
            for line, values in enumerate(rows, start=2):
                if values and isinstance(values[0], str) and values[0].lstrip().startswith(NOTE):
                    continue
                lines.append(line)
                block.append(values)
                if len(block) == size:
                    yield chunk_of(lines, block)
                    lines, block, size = [], [], next(sizes)
                if line > max_rows + 1:  # enough to say the sheet is too long
                    break
            if block:
                yield chunk_of(lines, block)
        finally:
            workbook.close()

    return Table(header, chunks(), lambda line: min(line / total, 1.0))


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


# --- checking -----------------------------------------------------------------------------------------


def _per_value(cells: np.ndarray, function) -> np.ndarray:
    """``function`` of each cell, computed once per distinct value."""
    return mapped(cells, function)


def _is_number(text: str) -> bool:
    return _decimal(text) is not None


THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


def _decimal(text: str) -> Decimal | None:
    """The number in a cell: digits with an optional decimal point, commas only between thousands
    (``1,234.5``; ``22,5`` is not read as 225)."""
    if "," in text:
        if not THOUSANDS.match(text):
            return None
        text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


# Markers statistics publications use for a hidden or missing value.
SUPPRESSION_MARKERS = {"c", "x", "z", "[c]", "[x]", "[z]", "*", "-", "–", "..", "n/a", "na", "null", "none", "suppressed"}


def _not_a_number(text: str) -> str:
    """Why a value cell is not a number, and how to put it right."""
    bare = text.strip()
    if bare.endswith("%") and _decimal(bare[:-1].strip()) is not None:
        return f"Remove the % sign: give {bare[:-1].strip()}, not {bare}."
    if re.fullmatch(r"-?\d+,\d+", bare):
        return f"Use a full stop for decimals: {bare.replace(',', '.')}, not {bare}."
    if bare.lower() in SUPPRESSION_MARKERS:
        return "Give the real value, or leave the row out: PINE hides small numbers itself when it reports."
    return "Not a number. Give a number such as 12 or 22.5, without units or words."


# Units whose value is numerator / denominator times a scale (as the reports compute a pooled rate).
RATE_SCALE = {"percentage": 100, "rate_10k": 10_000}
# Units whose value is left empty, and reported as not estimable, when the denominator is 0.
NOT_ESTIMABLE_UNITS = ("percentage", "rate_10k", "days")
# Exactly half of the last place shown may be rounded either way (a spreadsheet rounds 6.25 up, a
# float rounds it to even): both are taken as the value shown.
ROUNDINGS = (ROUND_HALF_UP, ROUND_HALF_EVEN)


def _implied_value(numerator: int, denominator: int, unit: str) -> Decimal:
    return Decimal(RATE_SCALE[unit] * numerator) / Decimal(denominator)


def _as_shown(value: Decimal, unit: str) -> set[Decimal]:
    """``value`` at its unit's displayed precision (``measures.library.DISPLAY_DECIMALS``), as reports show it."""
    places = Decimal(1).scaleb(-DISPLAY_DECIMALS[unit])
    return {value.quantize(places, rounding=rounding) for rounding in ROUNDINGS}


def _agrees(value: Decimal, numerator: int, denominator: int, unit: str) -> bool:
    """The value equals what its numerator and denominator give, at the measure's displayed precision:
    22.6, 22.56 and 22.64 for 37 out of 164 (22.5609...), not 22.52 (shown 22.5) or 23. A value given
    to more places than are shown also agrees if it is the counts' value rounded to those places
    (22.55 for 22.549...), though it then shows as 22.6: rounding twice is not a disagreement."""
    try:
        with localcontext(prec=60):  # the counts' value to any places a sensible value is given to
            implied = _implied_value(numerator, denominator, unit)
            if _as_shown(value, unit) & _as_shown(implied, unit):
                return True
            exponent = value.normalize().as_tuple().exponent
            if not isinstance(exponent, int) or exponent >= -DISPLAY_DECIMALS[unit]:
                return False
            places = Decimal(1).scaleb(exponent)
            return value in {implied.quantize(places, rounding=rounding) for rounding in ROUNDINGS}
    except InvalidOperation:  # a value too large, or to more places than 60 digits hold: not the counts'
        return False


def _implied(numerator: int, denominator: int, unit: str) -> str:
    places = Decimal(1).scaleb(-DISPLAY_DECIMALS[unit])
    shown = _implied_value(numerator, denominator, unit).quantize(places, rounding=ROUND_HALF_UP)
    if unit == "percentage":
        return f"{numerator:,} out of {denominator:,} is {shown}%"
    return f"{numerator:,} out of {denominator:,} children is a rate of {shown} per 10,000"


# Values are stored with 4 decimal places in 14 digits.
MAX_VALUE = Decimal(10) ** 10
TOO_LARGE = f"Too large: a value must be less than {MAX_VALUE:,.0f}. Check the value, and its decimal point."


def _too_large(text: str) -> bool:
    value = _decimal(text)
    return value is not None and abs(value) >= MAX_VALUE


def _count_or_problem(text: str) -> int | None | bool:
    """The whole number in a numerator/denominator cell; None if empty; False if not a count."""
    if text == "":
        return None
    value = _decimal(text)
    if value is None or value < 0 or value != value.to_integral_value():
        return False
    return int(value)


def _unknown_measure(code: str, known) -> str:
    if not code:
        return "Enter the measure's code, or leave the row out. The codes are listed on the evaluation page."
    close = difflib.get_close_matches(code.lower(), list(known), n=1, cutoff=0.6)
    hint = f"Did you mean {close[0]}? " if close else ""
    return f"Unknown measure code. {hint}Use a code from the list on the evaluation page (or the data dictionary)."


def _unknown_column(name: str) -> str:
    """Why a column is refused (the format is PINE's own: a column it does not read could hold
    anything), with the column it was probably meant to be."""
    known = ", ".join(c for c in KNOWN_COLUMNS)
    if re.search(r"child|case|person|client|(^|_)id($|_)|ref", name):
        guess = CHILD_REF
    else:
        guess = next(iter(difflib.get_close_matches(name, KNOWN_COLUMNS, n=1, cutoff=0.6)), None)
    hint = f" Did you mean {guess}? Rename the column." if guess else ""
    return f"PINE does not read a column called {name}: delete it, or use only these columns: {known}.{hint}"


def _not_a_date(text: str, example: str) -> str:
    if not text:
        return f"Enter a date (DD/MM/YYYY, for example {example}), or leave the row out."
    try:
        american = datetime.strptime(text, "%m/%d/%Y").date()
    except ValueError:
        return f"Not a date. Use DD/MM/YYYY, for example {example}."
    return (
        f"Not a date: there is no month {text.split('/')[1]}. Dates are day first: {american:%d/%m/%Y}, not {text}. Correct it."
    )


def _nhs_cell(text: str) -> bool:
    return text == NHS_REMOVED or is_nhs_number(text)


def _formula_cell(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES) and not _is_number(text)


@dataclass
class Checked:
    """The rows of a chunk that passed every check: aggregate rows, or child rows as arrays
    (``lines, child, measure, period_start, period_end, group, value``)."""

    rows: list[OutcomeRow] = field(default_factory=list)
    children: dict[str, np.ndarray] | None = None


def _flags(cells: np.ndarray, function) -> np.ndarray:
    codes, uniques = factorized(cells)
    return np.array([bool(function(u)) for u in uniques], dtype=bool).take(codes)


# What makes two rows the same row: a second row with the same values of these columns (those the
# file has) is a duplicate. Child-level rows are one per child, so their key includes the child.
DUPLICATE_KEY = [CHILD_REF, "measure", "group", "period_start", EVENT_DATE]


def _key_hashes(columns: list[np.ndarray]) -> np.ndarray:
    """A 64-bit hash of each row's values in ``columns``: each distinct value hashed once
    (``pandas.util.hash_array``), the columns' hashes combined as pandas combines them."""
    combined = np.full(len(columns[0]), 0x345678, dtype=np.uint64)
    multiplier = np.uint64(1000003)
    for number, column in enumerate(columns):
        codes, uniques = factorized(column)
        texts = np.empty(len(uniques), dtype=object)
        texts[:] = [str(u) for u in uniques]
        combined ^= pd.util.hash_array(texts, categorize=False).take(codes)
        combined *= multiplier
        multiplier += np.uint64(82520 + 2 * (len(columns) - number))
    return combined + np.uint64(97531)


class HashParts:
    """Records with a 64-bit ``hash`` field, kept in a small buffer and spilled to temporary files
    by the hash's top bits, so that memory does not grow with the rows: :meth:`parts` then gives
    back one part at a time, small enough to sort on its own. Records with equal hashes are always
    in the same part, in the order they were added."""

    PARTS = 64
    BUFFER_ROWS = 1 << 16

    def __init__(self, record: np.dtype):
        self.record = record
        self._buffer: list[np.ndarray] = []
        self._buffered = 0
        self._parts: list | None = None  # temporary files, once the buffer has been spilled

    def add(self, records: np.ndarray) -> None:
        if not len(records):
            return
        self._buffer.append(records)
        self._buffered += len(records)
        if self._buffered >= self.BUFFER_ROWS:
            self._spill()

    def _spill(self) -> None:
        if self._parts is None:
            self._parts = [tempfile.TemporaryFile() for _ in range(self.PARTS)]
        records = np.concatenate(self._buffer) if self._buffer else np.empty(0, dtype=self.record)
        self._buffer, self._buffered = [], 0
        part = (records["hash"] >> np.uint64(58)).astype(np.intp)  # PARTS = 64: the top 6 bits
        order = np.argsort(part, kind="stable")  # each part's records stay in the order they came
        bounds = np.searchsorted(part[order], np.arange(self.PARTS + 1))
        for number, file in enumerate(self._parts):
            file.write(records[order[bounds[number] : bounds[number + 1]]].tobytes())

    def parts(self) -> Iterator[np.ndarray]:
        """Each part's records (once: the temporary files are closed as they are read)."""
        if self._parts is None:
            if self._buffer:
                yield np.concatenate(self._buffer)
            return
        self._spill()
        for file in self._parts:
            file.seek(0)
            yield np.frombuffer(file.read(), dtype=self.record)
            file.close()


class KeyLog:
    """Each good row's key as a 64-bit hash, with its line and period start (:class:`HashParts`,
    so that memory does not grow with the rows); :meth:`duplicates` then sorts each part on its own.

    Two different keys with the same 64-bit hash would be reported as a duplicate. The chance of any
    such pair among n rows is about n**2 / 2**65: 7e-7 at 5,000,000 rows. We accept that rather than
    keep every key, which is what made duplicate detection cost a gigabyte at that size."""

    RECORD = np.dtype([("hash", "<u8"), ("line", "<u4"), ("day", "<i4")])

    def __init__(self):
        self._records = HashParts(self.RECORD)

    def add(self, columns: list[np.ndarray], lines: np.ndarray, starts: np.ndarray) -> None:
        if not len(lines):
            return
        records = np.empty(len(lines), dtype=self.RECORD)
        records["hash"] = _key_hashes(columns)
        records["line"] = lines
        records["day"] = _per_value(starts, lambda d: d.toordinal() if isinstance(d, date) else 0).astype(np.int32)
        self._records.add(records)

    def duplicates(self, limit: int) -> list[tuple[int, int, date]]:
        """(line, first line with the same key, period start) of the first ``limit`` rows whose key
        an earlier row has, in file order."""
        found = []
        for records in self._records.parts():
            order = np.argsort(records["hash"], kind="stable")  # equal keys: in file order
            hashes = records["hash"][order]
            again = np.flatnonzero(hashes[1:] == hashes[:-1]) + 1
            if not len(again):
                continue
            # The first of each run of equal hashes: where the run starts.
            starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
            first = order[starts[np.searchsorted(starts, again, side="right") - 1]]
            for at, earliest in zip(order[again].tolist(), first.tolist()):
                start = date.fromordinal(max(int(records["day"][at]), 1))
                found.append((int(records["line"][at]), int(records["line"][earliest]), start))
        found.sort()
        return found[:limit]


class ExclusiveGroups:
    """Which children appear in both the intervention and the comparison group of one period (across
    measures), found once the whole file has been read. Each chunk's distinct (child, period) pairs
    of the two groups go, as a 64-bit hash with the group and the first line of the chunk it is on
    (a child's several measures and events collapse into one), to a :class:`HashParts`, so that
    memory does not grow with the file; at the end each part on its own gives each group's first
    line per (child, period), and the pairs both groups have. A false match needs two of a file's
    (child, period) pairs to share a 64-bit hash: about 1 in 10^6 for 5,000,000 of them, and then
    only a file would be refused that should not be."""

    GROUPS = ("intervention", "comparison")
    RECORD = np.dtype([("hash", "<u8"), ("line", "<u4"), ("group", "u1")])  # group: its place in GROUPS

    def __init__(self):
        self._records = HashParts(self.RECORD)

    def add(self, children: dict[str, np.ndarray]) -> None:
        for number, group in enumerate(self.GROUPS):
            rows = children["group"] == group
            if rows.any():
                frame = pd.DataFrame({"c": children["child"][rows], "s": children["period_start"][rows]})
                hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy()
                hashes, lines = _first_lines(hashes, children["lines"][rows].astype(np.uint32))
                records = np.empty(len(hashes), dtype=self.RECORD)
                records["hash"], records["line"], records["group"] = hashes, lines, number
                self._records.add(records)

    def overlaps(self) -> list[tuple[int, int]]:
        """(line, line of the same child in the other group) for the later of each such pair."""
        pairs = []
        for records in self._records.parts():
            (first, first_lines), (second, second_lines) = (
                _first_lines(records["hash"][in_group], records["line"][in_group])
                for in_group in (records["group"] == 0, records["group"] == 1)
            )
            _both, in_first, in_second = np.intersect1d(first, second, assume_unique=True, return_indices=True)
            pairs += zip(first_lines[in_first].astype(int).tolist(), second_lines[in_second].astype(int).tolist())
        return sorted((max(a, b), min(a, b)) for a, b in pairs)


def _first_lines(hashes: np.ndarray, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct hash once (sorted), with the smallest line it is on."""
    order = np.lexsort((lines, hashes))
    hashes, lines = hashes[order], lines[order]
    first = np.ones(len(hashes), dtype=bool)
    first[1:] = hashes[1:] != hashes[:-1]
    return hashes[first], lines[first]


class Checker:
    """Checks a file's chunks in order, remembering across chunks what the duplicate rule needs.
    :attr:`problems` are the first :data:`MAX_ERRORS` in file order (within a row: cells left to
    right, then measure, dates, group, value, counts, duplicate). Once there are that many, or the
    file is too long, :attr:`stopped` says there is no point reading on."""

    def __init__(
        self,
        header: list[str],
        *,
        measure_units: dict[str, str],
        aggregations: dict[str, str] | None = None,
        max_rows: int | None = None,
    ):
        self.header = header
        self.measure_units = measure_units
        self.aggregations = {code: DEFAULT_AGGREGATION.get(unit, "") for code, unit in measure_units.items()}
        self.aggregations.update(aggregations or {})
        self.child_level = CHILD_REF in header
        self.max_rows = max_rows or upload_limits()[1]
        self.problems: list[Problem] = []
        self.stopped = False
        self.row_count = 0
        self.totals = Totals(measure_units, self.aggregations)
        self.exclusive = ExclusiveGroups()
        self._keys = KeyLog()  # each good row's key, to find duplicates when the file has been read

    def check_header(self) -> list[Problem]:
        header = self.header
        required = (CHILD_REF, *[c for c in REQUIRED_COLUMNS if c != "value"]) if self.child_level else REQUIRED_COLUMNS
        problems = [
            Problem(
                1,
                h,
                "",
                f"This column looks like it holds {kind}. PINE does not take {kind}: delete the column and upload again.",
            )
            for h in header
            if h and (kind := identifying_kind(h))
        ]
        problems += [
            Problem(1, h, "", _unknown_column(h)) for h in header if h and h not in KNOWN_COLUMNS and not identifying_kind(h)
        ]
        problems += [
            Problem(
                1, c, "", f"This column is missing. Add a column called {c} to the header row (the template has every column)."
            )
            for c in required
            if c not in header
        ]
        if EVENT_DATE in header and not self.child_level:
            problems.append(
                Problem(1, EVENT_DATE, "", "An event_date goes with child-level rows (a child_ref column): remove the column.")
            )
        if START_DATE in header and not self.child_level:
            problems.append(
                Problem(1, START_DATE, "", "A start_date goes with child-level rows (a child_ref column): remove the column.")
            )
        self.problems = problems
        self.stopped = bool(problems)
        return problems

    def finish(self) -> list[Problem]:
        what = "the same child, measure, group and period" if self.child_level else "the same measure, group and period"
        fix = DUPLICATE_FIX
        if self.child_level and EVENT_DATE in self.header:
            what = "the same child, measure, group, period and event date"
        elif self.child_level:  # a child referred twice in a month is two events, not a duplicate
            fix = CHILD_DUPLICATE_FIX
        duplicates = [
            Problem(line, "period_start", f"{start:%d/%m/%Y}", f"Duplicate: row {earlier} has {what}. {fix}")
            for line, earlier, start in self._keys.duplicates(MAX_ERRORS)
        ]
        if duplicates:  # in file order among the others (a row with a duplicate key has no other problem)
            self.problems = sorted(self.problems + duplicates, key=lambda problem: problem.row)
        if not self.row_count and not self.problems:
            self.problems.append(Problem(0, "", "", NO_DATA_ROWS))
        if self.child_level and not self.stopped:
            self.problems += [
                Problem(
                    line,
                    "group",
                    "",
                    f"This child is in the other of intervention and comparison in the same period (row {other}). "
                    "A child belongs to one of them: correct the group.",
                )
                for line, other in self.exclusive.overlaps()
            ]
            self.problems += [
                Problem(
                    line,
                    "period_end",
                    f"{end:%d/%m/%Y}",
                    f"Row {first} has the same measure, group and period start but ends on {first_end:%d/%m/%Y}. "
                    "Give each period one end date.",
                )
                for line, end, first, first_end in self.totals.other_ends
            ]
            self.problems.sort(key=lambda p: p.row)
        return self.problems[:MAX_ERRORS]

    def check(self, chunk: Chunk) -> Checked:
        """Check one chunk: its problems are added to :attr:`problems`, its good rows returned
        (none once the file has a problem: nothing of it will be stored)."""
        lines, cells = chunk.lines, chunk.cells
        over = np.flatnonzero(lines > self.max_rows + 1)
        if len(over):  # the check stops at the first row past the limit
            lines, cells = lines[: over[0]], {name: values[: over[0]] for name, values in cells.items()}
        n = len(lines)

        def column(name: str) -> np.ndarray:
            return cells[name] if name in cells else np.full(n, "", dtype=object)

        present = np.zeros(n, dtype=bool)  # rows with any cell filled in (the others are skipped)
        for values in cells.values():
            present |= values != ""
        bad = np.zeros(n, dtype=bool)
        found: list[tuple[int, int, Problem]] = []  # (index, order within the row, problem)
        room = MAX_ERRORS - len(self.problems)

        def add(mask: np.ndarray, order: int, name: str, reason, *, shown: bool = True) -> None:
            mask = mask & present
            bad[mask] = True
            values = column(name)
            for i in np.flatnonzero(mask)[:room]:
                text = _shown(values[i]) if shown and name != CHILD_REF else ""
                why = reason(i) if callable(reason) else reason
                found.append((int(i), order, Problem(int(lines[i]), name, text, why)))

        for order, (name, values) in enumerate(cells.items()):
            nhs = values == NHS_REMOVED if name == CHILD_REF else _flags(values, _nhs_cell)
            add(nhs, order, name, "This looks like an NHS number. PINE does not take NHS numbers: remove it.", shown=False)
            if name != CHILD_REF:
                add(_flags(values, _formula_cell) & ~nhs, order, name, "Cells may not contain formulas. Paste values only.")
        order = len(cells)
        measure = column("measure")
        units = self.measure_units
        unit = _per_value(measure, units.get)
        add(
            _flags(measure, lambda m: m not in units),
            order,
            "measure",
            lambda i: _unknown_measure(measure[i], units),
        )
        start, end = _per_value(column("period_start"), parse_date), _per_value(column("period_end"), parse_date)
        no_start, no_end = (
            _flags(column("period_start"), lambda t: parse_date(t) is None),
            _flags(column("period_end"), lambda t: parse_date(t) is None),
        )
        add(no_start, order + 1, "period_start", lambda i: _not_a_date(column("period_start")[i], "01/04/2025"))
        add(no_end, order + 2, "period_end", lambda i: _not_a_date(column("period_end")[i], "30/04/2025"))
        backwards = np.zeros(n, dtype=bool)
        dated = np.flatnonzero(~no_start & ~no_end)
        backwards[dated] = end[dated] < start[dated]
        add(backwards, order + 3, "period_end", "The period ends before it starts. Correct period_start or period_end.")
        group = _per_value(column("group"), str.lower)
        add(~np.isin(group, GROUPS), order + 4, "group", f"Use one of: {', '.join(GROUPS)}.")
        value_text = column("value")
        value = _per_value(value_text, _decimal)
        if self.child_level:
            rule = _per_value(measure, lambda m: self.aggregations.get(m, ""))
            self._child_rules(add, order + 5, column, rule, value_text, start, end)
        else:
            numerator, denominator = self._aggregate_rules(add, order + 5, column, unit, value_text)
        good = present & ~bad
        key = {CHILD_REF: column(CHILD_REF), "measure": measure, "group": group, "period_start": start}
        if self.child_level and EVENT_DATE in cells:  # one date however it is written
            key[EVENT_DATE] = mapped(column(EVENT_DATE), lambda t: d.isoformat() if (d := parse_date(t)) else t)
        kept = np.flatnonzero(good)
        columns = [rows(key[name], kept) for name in DUPLICATE_KEY if name in key and name in self.header]
        self._keys.add(columns, lines[kept], rows(start, kept))
        found.sort(key=lambda item: (item[0], item[1]))
        self.problems += [problem for _i, _order, problem in found][: max(room, 0)]
        if len(over) and len(self.problems) < MAX_ERRORS:
            line = int(chunk.lines[over[0]])
            too_long = f"The file has more than {self.max_rows:,} rows. Split it into smaller files."
            self.problems.append(Problem(line, "", "", too_long))
        self.stopped = bool(len(over)) or len(self.problems) >= MAX_ERRORS
        self.row_count += int(good.sum())
        if self.problems:
            return Checked()
        if self.child_level:
            every = len(kept) == n  # then the columns themselves, whose distinct values are known

            def pick(values):
                return values if every else rows(values, kept)

            children = {
                "lines": lines[kept],
                "child": pick(column(CHILD_REF)),
                "measure": pick(measure),
                "period_start": pick(start),
                "period_end": pick(end),
                "group": pick(group),
                "value": pick(value),
                "event_date": _per_value(pick(column(EVENT_DATE)), parse_date),
                "start_date": _per_value(pick(column(START_DATE)), parse_date),
            }
            self.totals.add(children)
            self.exclusive.add(children)
            return Checked(children=children)
        return Checked(
            rows=[
                OutcomeRow(int(lines[i]), measure[i], start[i], end[i], group[i], value[i], numerator[i], denominator[i])
                for i in kept
            ]
        )

    @staticmethod
    def _child_rules(add, order: int, column, rule: np.ndarray, value_text: np.ndarray, start, end) -> None:
        ref = column(CHILD_REF)
        add(
            ref == REF_NHS,
            order,
            CHILD_REF,
            "This child reference looks like an NHS number. Use your own case reference instead.",
        )
        add(ref == "", order, CHILD_REF, "Give the child's reference (your case reference; it is pseudonymised as it is read).")
        add(
            _flags(ref, lambda r: bool(r) and r != REF_NHS and not TOKEN.match(r)),
            order,
            CHILD_REF,
            "The child reference was not pseudonymised. Upload the file again.",
        )
        add(
            rule == "aggregates_only",
            order + 1,
            "measure",
            "A rate per 10,000 children needs a population: send it as an aggregate row, not child rows.",
        )
        not_01 = _flags(value_text, lambda t: _decimal(t) not in (0, 1))
        add(
            (rule == "proportion") & not_01,
            order + 1,
            "value",
            "For a percentage measure, give 1 if the outcome happened for this child, else 0.",
        )
        add(
            (rule == "count") & not_01 & (value_text != ""),
            order + 1,
            "value",
            "For a count measure, give 1 (or leave it empty) if this row counts, 0 if it does not.",
        )
        no_days = _flags(value_text, lambda t: (d := _decimal(t)) is None or d < 0)
        add(np.isin(rule, ["mean", "median"]) & no_days, order + 1, "value", "Give the child's number of days (0 or more).")
        add(_flags(value_text, _too_large), order + 1, "value", TOO_LARGE)
        event_text = column(EVENT_DATE)
        event = _per_value(event_text, parse_date)
        dated = (event_text != "") & (event != None)  # noqa: E711 - elementwise
        add((event_text != "") & ~dated, order + 1, EVENT_DATE, lambda i: _not_a_date(event_text[i], "15/04/2025"))
        outside = np.zeros(len(event), dtype=bool)
        known = np.flatnonzero(dated & (start != None) & (end != None))  # noqa: E711
        outside[known] = (event[known] < start[known]) | (event[known] > end[known])
        add(outside, order + 1, EVENT_DATE, "The event date is outside the row's period: correct the date or the period.")
        start_text = column(START_DATE)
        began = _per_value(start_text, parse_date)
        has_start = (start_text != "") & (began != None)  # noqa: E711 - elementwise
        add((start_text != "") & ~has_start, order + 1, START_DATE, lambda i: _not_a_date(start_text[i], "02/04/2025"))
        after_event = np.zeros(len(began), dtype=bool)
        both = np.flatnonzero(has_start & dated)
        after_event[both] = began[both] > event[both]
        add(
            after_event,
            order + 1,
            START_DATE,
            lambda i: (
                f"The start date is after the event date ({event[i]:%d/%m/%Y}): the time to an event cannot be "
                "negative. Correct one of the dates."
            ),
        )
        after_end = np.zeros(len(began), dtype=bool)
        ended = np.flatnonzero(has_start & ~after_event & (end != None))  # noqa: E711
        after_end[ended] = began[ended] > end[ended]
        add(
            after_end,
            order + 1,
            START_DATE,
            lambda i: (
                f"The start date is after the period's end ({end[i]:%d/%m/%Y}): a child's time starts on or "
                "before the end of the period the row is for. Correct the date or the period."
            ),
        )
        for offset, name in enumerate(("numerator", "denominator"), start=2):
            add(
                column(name) != "",
                order + offset,
                name,
                "Leave this empty in child-level rows: it is computed from the children.",
            )

    @staticmethod
    def _aggregate_rules(add, order: int, column, unit: np.ndarray, value_text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        counts = []
        for offset, name in enumerate(("numerator", "denominator"), start=1):
            count = _per_value(column(name), _count_or_problem)
            add(
                np.array([c is False for c in count], dtype=bool),
                order + offset,
                name,
                "Give a whole number of children (0 or more), without a decimal point.",
            )
            counts.append(np.array([None if c is False else c for c in count], dtype=object))
        numerator, denominator = counts
        has_numerator = np.array([c is not None for c in numerator], dtype=bool)
        has_denominator = np.array([c is not None for c in denominator], dtype=bool)
        # A denominator of 0 leaves nothing to divide: the value is not estimable and left empty.
        no_children = np.array([c == 0 for c in denominator], dtype=bool) & np.isin(unit, NOT_ESTIMABLE_UNITS)
        blank = value_text == ""
        value = _per_value(value_text, _decimal)
        add(blank & ~no_children, order, "value", "Enter a value, or leave the row out.")
        add(_flags(value_text, lambda t: t != "" and _decimal(t) is None), order, "value", lambda i: _not_a_number(value_text[i]))
        negative = _flags(value_text, lambda t: (d := _decimal(t)) is not None and d < 0)
        add(negative, order, "value", "Values cannot be negative. Give 0 or more.")
        add(_flags(value_text, _too_large), order, "value", TOO_LARGE)
        over_100 = _flags(value_text, lambda t: (d := _decimal(t)) is not None and d > 100)
        add(
            (unit == "percentage") & over_100,
            order,
            "value",
            "A percentage cannot be more than 100. Give it out of 100 (22.5 for 22.5%), or correct the value.",
        )
        fraction = _flags(value_text, lambda t: (d := _decimal(t)) is not None and d != d.to_integral_value())
        add(
            (unit == "count") & fraction,
            order,
            "value",
            lambda i: f"A count is a whole number: {value_text[i]} cannot be a number of children or events. Correct it.",
        )
        add(
            no_children & ~blank,
            order,
            "value",
            "With a denominator of 0 there is nothing to work the value out from: leave the value empty "
            "(it is reported as not estimable).",
        )
        rate = np.isin(unit, tuple(RATE_SCALE))
        add(
            has_numerator & ~has_denominator,
            order + 2,
            "denominator",
            "A numerator needs its denominator: give the denominator too, or leave both empty.",
        )
        add(
            rate & has_denominator & ~has_numerator,
            order + 1,
            "numerator",
            "A denominator needs its numerator: give the numerator too, or leave both empty.",
        )
        larger = np.array([a is not None and b is not None and a > b for a, b in zip(numerator, denominator)], dtype=bool)
        add(
            larger,
            order + 3,
            "numerator",
            lambda i: f"The numerator is larger than the denominator ({denominator[i]}). Correct one of them.",
        )
        disagrees = np.array(
            [
                u in RATE_SCALE and v is not None and a is not None and b and a <= b and not _agrees(v, a, b, u)
                for u, v, a, b in zip(unit, value, numerator, denominator)
            ],
            dtype=bool,
        )
        add(
            disagrees,
            order,
            "value",
            lambda i: (
                _implied(numerator[i], denominator[i], unit[i])
                + f", not {value_text[i]}: correct the value, or the numerator and denominator."
            ),
        )
        return numerator, denominator


# --- whole files --------------------------------------------------------------------------------------


def parse_outcome_csv(content: bytes, *, measure_units: dict[str, str]) -> tuple[list[OutcomeRow], list[Problem]]:
    """Rows and problems of a CSV file (or, if the bytes are a workbook, of its first sheet)."""
    return parse_outcome_file(content, filename="", measure_units=measure_units)


def parse_outcome_file(
    content: bytes, *, filename: str, measure_units: dict[str, str], aggregations: dict[str, str] | None = None
) -> tuple[list[OutcomeRow], list[Problem]]:
    """Aggregate rows and problems of an uploaded CSV or XLSX file (child-level rows aggregated)."""
    rows, _children, problems = parse_upload(content, filename=filename, measure_units=measure_units, aggregations=aggregations)
    return rows, problems


def parse_upload(
    content: bytes, *, filename: str, measure_units: dict[str, str], aggregations: dict[str, str] | None = None
) -> tuple[list[OutcomeRow], list, list[Problem]]:
    """(aggregate rows, child rows, problems) of an uploaded CSV or XLSX file, all in memory (the
    worker streams instead: :mod:`outcomes.ingest`). Child rows, if the file has them, are what the
    aggregate rows were computed from. Any problem means the file is rejected whole."""
    table = read_chunks(io.BytesIO(content), filename=filename, size=len(content))
    if isinstance(table, Problem):
        return [], [], [table]
    checker = Checker(table.header, measure_units=measure_units, aggregations=aggregations)
    if checker.check_header():
        return [], [], checker.problems
    rows, children = [], []
    try:
        chunks = list(table.chunks)
    except UnreadableFile as unreadable:
        return [], [], [unreadable.problem]
    for chunk in chunks:
        checked = checker.check(chunk)
        rows += checked.rows
        if checked.children is not None:
            c = checked.children
            children += [
                ChildRow(int(line), *values)
                for line, *values in zip(
                    c["lines"], c["child"], c["measure"], c["period_start"], c["period_end"], c["group"], c["value"]
                )
            ]
        if checker.stopped:
            break
    problems = checker.finish()
    if problems:
        return [], [], problems
    if checker.child_level:
        return [OutcomeRow(*values) for values in checker.totals.rows()], children, []
    return rows, [], []


# A kept upload is CSV whatever was sent (a workbook's first sheet, read): the worker reads it as this.
KEPT_FILENAME = "kept.csv"
READ_COLUMNS = (CHILD_REF, *REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, EVENT_DATE, START_DATE)
# What is kept of a cell in a column PINE does not read: only that it was filled in (so that the row
# still counts as a row) or that it held an NHS number (so that the file is refused).
NOT_KEPT = "[not kept]"


class KeptWriter:
    """Writes what PINE keeps of an upload, chunk by chunk, to the binary file ``out``: the columns
    it reads, of the rows it reads (a workbook's first sheet), with child references pseudonymised
    and NHS numbers removed, as CSV (UTF-8). Of another column, only whether each cell was filled in
    (or held an NHS number, which refuses the file); nothing of other sheets or of cells beyond the
    header. The chunks given must already be sanitised (``outcomes.children.sanitise_cells``)."""

    def __init__(self, out: BinaryIO, header: list[str]):
        self.out = out
        self.columns = [name for name in dict.fromkeys(header) if name]
        self.out.write((",".join(_csv_cell(name) for name in self.columns) + "\n").encode())

    def write(self, cells: dict[str, np.ndarray]) -> None:
        if not self.columns:
            return
        columns = []
        for name in self.columns:
            values = cells[name]
            if name not in READ_COLUMNS:
                values = np.where(values == NHS_REMOVED, NHS_REMOVED, np.where(values == "", "", NOT_KEPT))
            columns.append(_per_value(values, _csv_cell).tolist())
        if columns and columns[0]:
            self.out.write(("\n".join(map(",".join, zip(*columns))) + "\n").encode())


def _csv_cell(text: str) -> str:
    """A cell as CSV writes it (quoted only when it must be)."""
    if text == "" or not any(c in text for c in ',"\r\n'):
        return text
    return '"' + text.replace('"', '""') + '"'


def sanitise_upload(content: bytes, *, filename: str, key: str, version: str) -> bytes | list[Problem]:
    """What PINE keeps of the upload ``content`` (:class:`KeptWriter`), or, for a file that cannot
    be read, or whose header is refused (a column missing, or one that looks like it holds names or
    other identifiers), its problems, and then nothing of it. The worker writes the same as it reads
    (``outcomes.ingest``); this is for uploads already in memory."""
    table = read_chunks(io.BytesIO(content), filename=filename, size=len(content))
    if isinstance(table, Problem):
        return [table]
    problems = Checker(table.header, measure_units={}).check_header()
    if problems:
        return problems
    buffer = io.BytesIO()
    writer = KeptWriter(buffer, table.header)
    try:
        for chunk in table.chunks:
            cells, _ = sanitise_cells(chunk.cells, key=key, version=version)
            writer.write(cells)
    except UnreadableFile as unreadable:
        return [unreadable.problem]
    return buffer.getvalue()
