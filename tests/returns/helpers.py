"""Shared by the statutory-return tests: a keyed pseudonymiser like the app's, and files built from
rows so a test can break one field of one row."""

import hashlib
import hmac
import io

import pandas as pd

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
