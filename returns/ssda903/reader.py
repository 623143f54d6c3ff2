"""Reading an SSDA903 return — CSV tables given as files or in a zip, or the XML form — into
child-level tables, pseudonymised as they are read. Only the kept columns of each table are read
in (tables.TABLES): UPNs, postcodes, a mother's child's date of birth never leave this module, and
dates of birth are cut to the first of their month."""

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

import pandas as pd
from lxml import etree

from returns.types import Problem, Pseudonymise, ReturnRead

from . import validation
from .tables import TABLES, Table

KIND = "ssda903"

# A zip may not unpack to more than this, nor hold more members (a defence against zip bombs).
MAX_UNPACKED_BYTES = 2 * 1024**3
MAX_MEMBERS = 200


@dataclass
class RawTable:
    """One SSDA903 table as read, before it is checked and pseudonymised: every standard column the
    file had (as text, stripped; empty is NA) and, for each row, where it came from."""

    table: Table
    frame: pd.DataFrame  # standard columns only
    sources: list[str] = field(default_factory=list)  # file names, indexed by frame["_file"]
    xml: list[bool] = field(default_factory=list)  # whether each file was the XML form

    def where(self, index) -> str:
        """Where a row came from: the file and row (CSV), or the CHILD element and the element in it
        (XML). Never a value from the row."""
        row = self.frame.loc[index]
        source = int(row["_file"])
        if not self.xml[source]:
            return f"{self.sources[source]}, row {int(row['_row'])}"
        where = f"{self.sources[source]}, CHILD {int(row['_row'])}"
        element = XML_ELEMENTS.get(self.table.name)
        return f"{where}, {element} {int(row['_item'])}" if element and int(row["_item"]) else where


def _normalise_column(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).replace("\ufeff", "").strip()).upper()


def identify(columns: Iterable[str], name: str = "") -> Table | None:
    """The table whose recognising columns are all there; among several, the one sharing the most
    columns with the file (the file name breaks a tie)."""
    present = {_normalise_column(c) for c in columns}
    candidates = [t for t in TABLES.values() if t.signature <= present]
    if not candidates:
        return None
    lowered = name.lower()
    return max(
        candidates,
        key=lambda t: (len(present & set(t.columns)), any(h in lowered for h in t.hints), -len(t.columns)),
    )


def _clean(uniques: pd.Index) -> pd.Series:
    """Values stripped of spaces; empty is missing."""
    stripped = pd.Series(uniques.astype(str)).str.strip()
    return stripped.where(stripped != "", None)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _read_csv(name: str, data: bytes, problems: list[Problem]) -> tuple[Table, pd.DataFrame] | None:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    try:
        columns = next(csv.reader([first_line]))
    except (csv.Error, StopIteration):
        columns = []
    table = identify(columns, name)
    if table is None:
        problems.append(
            Problem(
                "error", name, "",
                "This file's columns match none of the SSDA903 tables (header, episodes, reviews, missing, OC2, "
                "OC3, AD1, placed for adoption, previous permanence, UASC).",
            )
        )  # fmt: skip
        return None
    normalised = [_normalise_column(c) for c in columns]
    wanted = [c for c in normalised if c in table.keep]
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
            header=0,
            names=normalised,
            engine="c",
        )[wanted]  # fmt: skip  (every column is read, so a row with too many fields is caught)
    except (pd.errors.ParserError, ValueError) as error:
        line = re.search(r"line (\d+)", str(error))
        where = f"{name}, row {line.group(1)}" if line else name
        problems.append(
            Problem(
                "error",
                where,
                "",
                "The file could not be read as CSV (a row with the wrong number of fields, or a column named twice).",
            )
        )
        return None
    for column in frame.columns:
        frame[column] = validation.per_value(frame[column], _clean).astype("string")
    frame["_row"] = pd.RangeIndex(2, len(frame) + 2)  # the header is row 1
    frame["_item"] = 0
    return table, frame


# The XML form (EXPSSDA903): a CHILD element per child holding a HEADER (its fields, AREVIEW,
# AMISSING, OC2, PERMANENCE and AD_PLACED elements, and the OC3, AD1 and UASC fields) and its
# EPISODE elements. Two tags differ from the CSV columns.
XML_RENAMES = {"CHILDID": "CHILD", "PL": "PLACE"}
XML_ELEMENTS = {"episodes": "EPISODE", "reviews": "AREVIEW", "missing": "AMISSING", "oc2": "OC2",
                "previous_permanence": "PERMANENCE", "placed_for_adoption": "AD_PLACED"}  # fmt: skip
XML_SUB_TABLES = {"AREVIEW": "reviews", "AMISSING": "missing", "OC2": "oc2", "PERMANENCE": "previous_permanence",
                  "AD_PLACED": "placed_for_adoption"}  # fmt: skip


_NAMES: dict[str, str] = {}


def _name(node) -> str:
    """An element's tag without any namespace, upper-cased, with the XML's two renames (remembered:
    a return repeats a few tags a million times)."""
    tag = node.tag
    name = _NAMES.get(tag)
    if name is None:
        name = tag.rsplit("}", 1)[-1].upper() if isinstance(tag, str) else ""
        name = _NAMES[tag] = XML_RENAMES.get(name, name)
    return name


def _leaves(element) -> dict[str, str | None]:
    """An element's fields: its children's tags and texts (a record's elements hold only fields)."""
    names = _NAMES
    return {names.get(node.tag) or _name(node): node.text for node in element}


def _walk(child) -> tuple[dict[str, str | None], list, dict[str, list]]:
    """A CHILD's own fields (HEADER, UASC, OC3, AD1) wherever they sit in it, its EPISODE elements,
    and the elements of its other tables (AREVIEW, AMISSING...), in one pass."""
    header: dict[str, str | None] = {}
    episodes = []
    tables: dict[str, list] = {}
    stack = [child]
    while stack:
        element = stack.pop()
        for node in element:
            name = _name(node)
            if name == "EPISODE":
                episodes.append(node)
            elif name in XML_SUB_TABLES:
                tables.setdefault(XML_SUB_TABLES[name], []).append(node)
            elif len(node):
                stack.append(node)
            elif name:
                header[name] = node.text
    return header, episodes, tables


def _read_xml(name: str, stream: BinaryIO, problems: list[Problem]) -> dict[str, pd.DataFrame]:
    rows: dict[str, list[dict]] = {t: [] for t in TABLES}
    context = etree.iterparse(
        stream, events=("end",), tag="{*}CHILD", resolve_entities=False, no_network=True, huge_tree=False,
        remove_comments=True, remove_pis=True,
    )  # fmt: skip
    number = 0
    try:
        for _, child in context:
            number += 1
            header, episodes, tables = _walk(child)
            child_id = (header.get("CHILD") or "").strip() or None
            base = {"CHILD": child_id, "_row": number, "_item": 0}
            header.update(base)
            rows["header"].append(header)
            if header.get("IN_TOUCH") is not None or header.get("ACTIV") is not None:
                rows["oc3"].append(header)
            if header.get("DATE_INT") is not None:
                rows["ad1"].append(header)
            if header.get("DUC") is not None:
                rows["uasc"].append(header)
            for count, episode in enumerate(episodes, start=1):
                rows["episodes"].append({**_leaves(episode), "CHILD": child_id, "_row": number, "_item": count})
            for table, elements in tables.items():
                for count, element in enumerate(elements, start=1):
                    rows[table].append({**_leaves(element), "DOB": header.get("DOB"), **base, "_item": count})
            child.clear()
            while child.getprevious() is not None:
                del child.getparent()[0]
    except etree.XMLSyntaxError as error:
        problems.append(
            Problem("error", f"{name}, line {error.lineno}", "", "The file is not well-formed XML, so it could not be read.")
        )
        return {}
    if number == 0:
        problems.append(Problem("error", name, "", "The XML holds no CHILD element: it is not an SSDA903 return."))
        return {}
    out = {}
    for table_name, table_rows in rows.items():
        if not table_rows:
            continue
        table = TABLES[table_name]
        present = set().union(*table_rows)
        columns = [c for c in table.keep if c in present] or ["CHILD"]
        frame = pd.DataFrame.from_records(table_rows, columns=[*columns, "_row", "_item"])
        for column in columns:
            frame[column] = validation.per_value(frame[column], _clean).astype("string")
        out[table_name] = frame
    return out


def _is_zip(name: str, head: bytes) -> bool:
    return head[:4] == b"PK\x03\x04" or name.lower().endswith(".zip")


def _is_xml(name: str, head: bytes) -> bool:
    return name.lower().endswith(".xml") or head.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] == b"<"


def _expand(files: list[tuple[str, BinaryIO]], problems: list[Problem]) -> list[tuple[str, bytes | BinaryIO, bool]]:
    """(name, content, is_xml) for every table file, a zip's members unpacked."""
    out = []
    for name, stream in files:
        head = stream.read(8)
        stream.seek(0)
        if _is_zip(name, head):
            try:
                archive = zipfile.ZipFile(stream)
                members = [
                    m for m in archive.infolist()
                    if not m.is_dir() and not m.filename.startswith("__MACOSX/")
                    and not m.filename.rsplit("/", 1)[-1].startswith(".")
                ]  # fmt: skip
                if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
                    problems.append(Problem("error", name, "", "The zip holds too many files or is too large to unpack."))
                    continue
                for member in members:
                    member_name = f"{name}/{member.filename}"
                    data = archive.read(member)
                    out.append((member_name, data, _is_xml(member.filename, data[:64])))
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, NotImplementedError):
                problems.append(Problem("error", name, "", "The zip could not be opened."))
            continue
        xml = _is_xml(name, stream.read(64))
        stream.seek(0)
        out.append((name, stream if xml else stream.read(), xml))
    return out


def read_raw(files: list[tuple[str, BinaryIO]], problems: list[Problem]) -> dict[str, RawTable]:
    """Every table in the files, each table's files put together (a later file's row wins where the
    same record is in two: see validation.drop_repeats)."""
    parts: dict[str, list[tuple[str, pd.DataFrame, bool]]] = {}
    for name, content, xml in _expand(files, problems):
        if xml:
            stream = content if not isinstance(content, bytes) else io.BytesIO(content)
            for table_name, frame in _read_xml(name, stream, problems).items():
                parts.setdefault(table_name, []).append((name, frame, True))
        else:
            read = _read_csv(name, content, problems)
            if read is not None:
                table, frame = read
                parts.setdefault(table.name, []).append((name, frame, False))
    raw = {}
    for table_name, pieces in parts.items():
        frames = []
        for index, (_, frame, _) in enumerate(pieces):
            frames.append(frame.assign(_file=index))
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
        raw[table_name] = RawTable(TABLES[table_name], frame, [p[0] for p in pieces], [p[2] for p in pieces])
    return raw


def _kept(raw: RawTable, pseudonyms: dict[str, str]) -> pd.DataFrame:
    table = raw.table
    frame = raw.frame
    out = pd.DataFrame(index=frame.index)
    for column, kept in table.keep.items():
        if column not in frame.columns:
            empty = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]") if kept in table.dates else None
            out[kept] = empty if empty is not None else pd.Series(pd.NA, index=frame.index, dtype="string")
            continue
        values = frame[column]
        if kept == "child":
            out[kept] = values.map(pseudonyms).astype("string")
        elif kept in table.dates:
            parsed = validation.parse_dates(values)
            if kept in table.months:
                parsed = parsed.dt.to_period("M").dt.to_timestamp()
            out[kept] = parsed
        else:
            out[kept] = validation.per_value(values, lambda u: pd.Series(u.astype(str)).str.upper()).astype("string")
    return out.reset_index(drop=True)


def read(files: list[tuple[str, BinaryIO]], *, pseudonymise: Pseudonymise) -> ReturnRead:
    """The return read, checked and pseudonymised. Never raises on bad input: what is wrong comes
    back as problems (an error blocks storing anything)."""
    problems: list[Problem] = []
    raw = read_raw(files, problems)
    if not raw and not any(p.severity == "error" for p in problems):
        problems.append(Problem("error", "", "", "No SSDA903 table was found in the files given."))
    validation.drop_repeats(raw, problems)
    validation.check(raw, problems)
    columns = [r.frame["CHILD"] for r in raw.values() if "CHILD" in r.frame.columns]
    unique = pd.concat(columns, ignore_index=True).dropna().unique() if columns else []
    pseudonyms = {value: pseudonymise(value) for value in unique}
    tables = {name: _kept(r, pseudonyms) for name, r in raw.items()}
    for name, table in TABLES.items():  # every table is there, empty when the return had none of it
        if name not in tables:
            tables[name] = pd.DataFrame({kept: pd.Series(dtype="datetime64[ns]" if kept in table.dates else "string")
                                         for kept in table.keep.values()})  # fmt: skip
    return ReturnRead(
        kind=KIND,
        tables=tables,
        children=len(unique),
        records=sum(len(t) for t in tables.values()),
        problems=problems,
    )
