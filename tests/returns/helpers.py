"""Shared by the statutory-return tests: synthetic returns for the service, command, API and page
tests; a keyed pseudonymiser like the app's, and files built from rows so a test can break one field
of one row."""

import hashlib
import hmac
import io
from datetime import date

import pandas as pd

from returns.cin.synthetic import Child, Episode, Plan, census_xml, random_children
from returns.ssda903.tables import TABLES

KEY = b"test key"


def pseudonymise(identifier: str) -> str:
    return hmac.new(KEY, identifier.encode(), hashlib.sha256).hexdigest()[:20]


def csv_files(rows: dict[str, list[dict]], only: tuple[str, ...] | None = None) -> list[tuple[str, io.BytesIO]]:
    files = []
    for name, table_rows in rows.items():
        if only is not None and name not in only:
            continue
        frame = pd.DataFrame(table_rows, columns=list(TABLES[name].columns))
        files.append((f"{name}.csv", io.BytesIO(frame.to_csv(index=False).encode())))
    return files


def as_files(named: dict[str, bytes]) -> list[tuple[str, io.BytesIO]]:
    return [(name, io.BytesIO(data)) for name, data in named.items()]


def every_text(read) -> str:
    """Every cell of every table and every problem, as one text to search for identifiers."""
    parts = [repr(p) for p in read.problems]
    for frame in read.tables.values():
        parts.append(frame.astype(str).to_csv(index=False))
        parts.append(" ".join(map(str, frame.columns)))
    return "\n".join(parts)


RAW_PREFIX = "SYN"  # every synthetic child's LAchildID starts with it; UPNs with "X0"


def random_census(year: int = 2025, count: int = 300, seed: int = 7) -> bytes:
    return census_xml(year, random_children(year, count, seed=seed))


def small_census(year: int = 2025) -> bytes:
    """Three children referred in the year, two of them on plans at its end."""
    return census_xml(
        year,
        [
            Child("SYN0000001", episodes=[Episode(date(year - 1, 5, 1), plans=[Plan(date(year - 1, 6, 2))])]),
            Child("SYN0000002", episodes=[Episode(date(year - 1, 7, 1), plans=[Plan(date(year - 1, 8, 2))])]),
            Child("SYN0000003", episodes=[Episode(date(year - 1, 9, 1), nfa=True, closure=date(year - 1, 9, 2))]),
        ],
    )


def bad_census() -> bytes:
    return census_xml(2025, [Child("SYN0000009", episodes=[Episode(date(2025, 6, 1))])])  # after the reference date
