"""Streaming import of an outcome file: read in chunks (from the file, never whole in memory),
pseudonymise, keep, check, store child rows with PostgreSQL COPY and add up the aggregates, while
the next chunk is being read.

One thread reads, pseudonymises and checks chunk N+1 (pandas and numpy, :mod:`outcomes.parsing`)
while the caller's thread stores chunk N in the caller's transaction: a COPY into a temporary table,
then one ``INSERT ... SELECT`` into ``outcomes_childrecord``. (PostgreSQL refuses COPY straight into a
table under row-level security; the INSERT goes through the tenant policy of the scope the task
set.) The child rows' foreign keys are checked per statement, not at commit, so the work shows as
progress. Nothing here commits: a problem, an exception or a killed worker leaves nothing stored.
"""

import queue
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import BinaryIO

import numpy as np
import pandas as pd
from django.db import connection
from psycopg.types.numeric import DecimalBinaryDumper

from outcomes.cells import factorized
from outcomes.children import TOKEN, sanitise_cells
from outcomes.parsing import CHUNK_ROWS, Checker, KeptWriter, OutcomeRow, Problem, UnreadableFile, read_chunks

STAGE = "Checking and storing the rows"
READ_AHEAD = 3  # chunks read and checked ahead of the one being stored
# Nothing is stored until the first chunk has been read and checked: a small one starts the storing
# sooner, and the chunks then grow to ``chunk_rows`` (outcomes.parsing.chunk_sizes).
FIRST_CHUNK_ROWS = 5_000


@dataclass
class Result:
    rows: list[OutcomeRow] = field(default_factory=list)  # aggregate rows (computed, for child-level files)
    problems: list[Problem] = field(default_factory=list)
    child_count: int = 0  # child rows stored


def run(
    source: BinaryIO,
    *,
    filename: str,
    size: int,
    measure_units: dict[str, str],
    aggregations: dict[str, str] | None = None,
    key: str,
    version: str,
    store: Callable[[dict[str, np.ndarray]], None] | None = None,
    progress: Callable[[float], None] | None = None,
    chunk_rows: int = CHUNK_ROWS,
    kept: BinaryIO | None = None,
) -> Result:
    """Read the binary file ``source`` (``size`` bytes) once, in chunks: pseudonymise and check each
    chunk, write what PINE keeps of it to ``kept`` (if given; complete only if the result has no
    problems), hand each chunk of good child rows to ``store`` (until the first problem: a file with
    any problem is refused whole, so storing stops), and report the fraction read to ``progress``."""
    table = read_chunks(source, filename=filename, size=size, chunk_rows=chunk_rows, first_chunk_rows=FIRST_CHUNK_ROWS)
    if isinstance(table, Problem):
        return Result(problems=[table])
    checker = Checker(table.header, measure_units=measure_units, aggregations=aggregations)
    if checker.check_header():
        return Result(problems=checker.problems)
    writer = KeptWriter(kept, table.header) if kept is not None else None
    rows: list[OutcomeRow] = []
    stored = 0
    prepare = getattr(store, "prepare", None)
    problems: list[Problem] = []
    try:
        for item in _read_ahead(table, checker, key=key, version=version, prepare=prepare, writer=writer):
            if isinstance(item, _Finished):
                problems = item.problems
                break
            checked, lines_read = item
            rows += checked.rows
            if checked.children is not None and store is not None and not checker.problems:
                store(checked.children)
                stored += len(checked.children["lines"])
            if progress is not None:
                progress(table.fraction(lines_read))
    except UnreadableFile as unreadable:
        return Result(problems=[unreadable.problem])
    if problems:
        return Result(problems=problems)
    if checker.child_level:
        return Result(rows=[OutcomeRow(*values) for values in checker.totals.rows()], child_count=stored)
    return Result(rows=rows)


@dataclass
class _Finished:
    """The problems of the whole file (``Checker.finish``): the last item :func:`_read_ahead` gives."""

    problems: list[Problem]


def _read_ahead(
    table, checker: Checker, *, key: str, version: str, prepare: Callable | None = None, writer: KeptWriter | None = None
):
    """(checked chunk, lines read so far): each chunk read, pseudonymised, written to ``writer``,
    checked and (with ``prepare``) made ready to store in a thread of its own while the caller
    stores the one before; then the whole file's checks (duplicates, a child in both groups), made
    in that thread too, while the caller stores the last chunks, as :class:`_Finished`."""
    ready: queue.Queue = queue.Queue(maxsize=READ_AHEAD)
    stop = threading.Event()

    def put(item) -> None:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def reader() -> None:
        try:
            for chunk in table.chunks:
                if stop.is_set():
                    return
                chunk.cells, _ = sanitise_cells(chunk.cells, key=key, version=version)
                if writer is not None and not checker.problems:
                    writer.write(chunk.cells)
                lines_read = int(chunk.lines[-1]) if len(chunk) else 0
                checked = checker.check(chunk)
                if prepare is not None and checked.children is not None and not checker.problems:
                    # Only what storing needs waits in the queue: the rows as COPY reads them.
                    lines = checked.children["lines"]
                    checked.children = {"lines": lines, "copy_data": prepare(checked.children)}
                put((checked, lines_read))
                if checker.stopped:
                    break
            put(_Finished(checker.finish()))
        except BaseException as error:  # handed to the caller's thread, raised there
            put(error)

    thread = threading.Thread(target=reader, name="outcomes-ingest-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if isinstance(item, BaseException):
                raise item
            yield item
            if isinstance(item, _Finished):
                return
    finally:
        stop.set()
        thread.join()


# --- storing child rows -------------------------------------------------------------------------------

STAGE_TABLE = "outcomes_ingest_children"
COPY_COLUMNS = (
    "child_digest",
    "key_version",
    "measure_id",
    "period_start",
    "period_end",
    "event_date",
    "start_date",
    "group",
    "value",
)


class ChildCopy:
    """Stores checked child rows of one submission with COPY, in the current transaction (which
    must be in the submission's partner scope)."""

    def __init__(self, submission, measures: dict):
        self.submission = submission
        self.measure_ids = {code: m.pk for code, m in measures.items()}
        self.cursor = connection.cursor().cursor  # the psycopg cursor inside Django's wrapper
        self.started = False

    def _start(self) -> None:
        columns = ", ".join(f'"{c}"' for c in COPY_COLUMNS)
        self.cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE_TABLE} ON COMMIT DROP AS "
            f"SELECT {columns} FROM outcomes_childrecord WITH NO DATA"
        )
        self.cursor.execute(f"TRUNCATE {STAGE_TABLE}")
        self.started = True

    def prepare(self, children: dict[str, np.ndarray]) -> bytearray:
        """The rows as COPY reads them: made in the reading thread, off the storing one."""
        return copy_data(children, self.measure_ids)

    def __call__(self, children: dict[str, np.ndarray]) -> None:
        if not len(children["lines"]):  # a chunk of empty rows
            return
        if not self.started:
            self._start()
        data = children["copy_data"] if "copy_data" in children else self.prepare(children)
        columns = ", ".join(f'"{c}"' for c in COPY_COLUMNS)
        # PostgreSQL's binary format: no dates, numbers or text to parse on the way in (a third of
        # the staging COPY's time in the text format), and the staging table has exactly the
        # types of outcomes_childrecord's columns (it is made from them), which the format needs.
        with self.cursor.copy(f"COPY {STAGE_TABLE} ({columns}) FROM STDIN (FORMAT binary)") as copy:
            copy.write(data)
        submission = self.submission
        self.cursor.execute(
            f"INSERT INTO outcomes_childrecord (partner_id, evaluation_id, submission_id, {columns}) "
            f"SELECT %s, %s, %s, {columns} FROM {STAGE_TABLE}",
            [submission.partner_id, submission.evaluation_id, submission.pk],
        )
        self.cursor.execute(f"TRUNCATE {STAGE_TABLE}")


# PostgreSQL's binary COPY format ("COPY", File Formats): a signature, flags and header extension,
# then per row the number of fields and each field as its length and bytes (-1: NULL), then -1.
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
COPY_TRAILER = struct.pack("!h", -1)
NULL_FIELD = struct.pack("!i", -1)
POSTGRES_EPOCH = date(2000, 1, 1)
_DECIMAL = DecimalBinaryDumper(Decimal)


JOIN_ROWS = 8192


def copy_data(children: dict[str, np.ndarray], measure_ids: dict[str, int]) -> bytearray:
    """The rows in COPY's binary format, for the columns :data:`COPY_COLUMNS`. Each field is encoded
    once per distinct value of its column; a row is then two pieces: its field count and child
    digest (one per child), and the rest of its fields (one per distinct combination of them, and
    a file has few: measures x periods x groups x values)."""
    n = len(children["child"])
    if not n:
        return bytearray(COPY_SIGNATURE + COPY_TRAILER)
    token_codes, tokens = factorized(children["child"])
    parts = [TOKEN.match(t).groups() if used else ("", "") for t, used in zip(tokens, _used(token_codes, tokens))]
    field_count = struct.pack("!h", len(COPY_COLUMNS))
    heads = np.empty(len(parts), dtype=object)
    heads[:] = [field_count + _text_field(digest) for _version, digest in parts]
    version_codes, versions = pd.factorize(np.array([version for version, _digest in parts], dtype=object))
    rest = [
        (version_codes.take(token_codes), [_text_field(version) for version in versions]),
        _encoded(children["measure"], lambda code: struct.pack("!iq", 8, measure_ids[code])),
        _encoded(children["period_start"], _date_field),
        _encoded(children["period_end"], _date_field),
        _encoded(children["event_date"], _date_field),
        _encoded(children["start_date"], _date_field),
        _encoded(children["group"], _text_field),
        _encoded(children["value"], _numeric_field),
    ]
    combination = np.zeros(n, dtype=np.int64)
    for codes, fields in rest:  # stays below n * len(fields), as each step numbers the combinations again
        combination, _ = pd.factorize(combination * len(fields) + codes)
    _, first_rows = np.unique(combination, return_index=True)  # a row of each combination, by its number
    tails = np.empty(len(first_rows), dtype=object)
    tails[:] = [b"".join([fields[codes[row]] for codes, fields in rest]) for row in first_rows.tolist()]
    data = bytearray(COPY_SIGNATURE)
    for first in range(0, n, JOIN_ROWS):  # joined a block at a time: bytes.join holds a buffer per piece
        rows = slice(first, first + JOIN_ROWS)
        pieces = np.empty((len(token_codes[rows]), 2), dtype=object)
        pieces[:, 0] = heads.take(token_codes[rows])
        pieces[:, 1] = tails.take(combination[rows])
        data += b"".join(pieces.ravel().tolist())
    data += COPY_TRAILER
    return data


def _encoded(column: np.ndarray, encode) -> tuple[np.ndarray, list[bytes]]:
    """(codes, each distinct value's field): ``encode`` called once per distinct value."""
    codes, uniques = factorized(column)
    return codes, [encode(value) if used else b"" for value, used in zip(uniques, _used(codes, uniques))]


def _used(codes: np.ndarray, uniques: np.ndarray) -> list[bool]:
    """Which of ``uniques`` the rows have. The good rows of a chunk share the distinct values of
    the whole chunk's column (``outcomes.cells.rows``), some of them only in rows that were left
    out (an empty row's empty reference and measure): those are never encoded."""
    return (np.bincount(codes, minlength=len(uniques)) > 0).tolist()


def _text_field(text: str) -> bytes:
    data = text.encode()
    return struct.pack("!i", len(data)) + data


def _date_field(value) -> bytes:
    if not isinstance(value, date):  # no date (None, or NaN from pandas)
        return NULL_FIELD
    return struct.pack("!ii", 4, (value - POSTGRES_EPOCH).days)


def _numeric_field(value) -> bytes:
    """A child's value as the ORM would save it in a ``DecimalField(14, 4)``."""
    if not isinstance(value, Decimal):  # None (pandas gives it back as NaN)
        return NULL_FIELD
    data = bytes(_DECIMAL.dump(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)))
    return struct.pack("!i", len(data)) + data
