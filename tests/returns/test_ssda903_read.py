"""Reading an SSDA903 return into child-level tables: pseudonymised on read, nothing identifying kept."""

import io
from datetime import date

import pandas as pd
import pytest

from returns import ssda903
from returns.ssda903.synthetic import scenario
from returns.ssda903.tables import NEVER_KEPT, TABLES

from .helpers import as_files, csv_files, every_text, pseudonymise


@pytest.fixture
def synthetic():
    return scenario()


def test_it_reads_every_table_from_csv_files(synthetic):
    read = ssda903.read(as_files(synthetic.csv_files()), pseudonymise=pseudonymise)
    assert read.kind == "ssda903" and not read.blocked and read.problems == []
    assert read.children == 13
    episodes = read.tables["episodes"]
    assert len(episodes) == 18 and read.tables["header"].shape[0] == 13
    assert len(read.tables["missing"]) == 5 and len(read.tables["oc3"]) == 5
    assert len(read.tables["ad1"]) == 1 and len(read.tables["placed_for_adoption"]) == 1
    assert len(read.tables["uasc"]) == 1 and len(read.tables["reviews"]) == 1
    assert read.records == sum(len(t) for t in read.tables.values())
    first = episodes[episodes["child"] == pseudonymise("A001")].sort_values("decom").iloc[0]
    assert first["decom"] == pd.Timestamp(2023, 5, 10) and first["dec"] == pd.Timestamp(2023, 8, 1)
    assert (first["rne"], first["ls"], first["place"], first["rec"]) == ("S", "V2", "U4", "X1")
    assert pd.api.types.is_datetime64_any_dtype(episodes["decom"])


def test_child_identifiers_are_pseudonymised_and_nothing_identifying_is_kept(synthetic):
    read = ssda903.read(as_files(synthetic.csv_files()), pseudonymise=pseudonymise)
    for frame in read.tables.values():
        assert set(frame["child"].dropna()) <= {pseudonymise(c.child) for c in synthetic.children}
    text = every_text(read)
    rows = synthetic.rows()
    for child in synthetic.children:
        assert child.child not in text and child.upn not in text
    for row in rows["episodes"]:
        assert row["HOME_POST"] not in text and row["PL_POST"] not in text
    assert "SC123456" not in text  # the placement's URN is not kept either
    for frame in read.tables.values():
        assert not {c.lower() for c in NEVER_KEPT} & set(frame.columns)
        assert "upn" not in frame.columns


def test_dates_of_birth_are_cut_to_the_month(synthetic):
    read = ssda903.read(as_files(synthetic.csv_files()), pseudonymise=pseudonymise)
    header = read.tables["header"].set_index("child")
    assert header.loc[pseudonymise("A001"), "dob"] == pd.Timestamp(2012, 3, 1)
    assert (read.tables["header"]["dob"].dt.day == 1).all()
    assert (read.tables["oc3"]["dob"].dt.day == 1).all()
    for name, frame in read.tables.items():  # no other table keeps a date of birth
        assert "dob" not in frame.columns or name in ("header", "oc3")


def test_each_table_is_recognised_by_its_columns_not_its_file_name(synthetic):
    named = synthetic.csv_files()
    renamed = {f"export_{i}.csv": data for i, data in enumerate(named.values())}
    renamed["header.csv"] = named.pop("episodes.csv")  # the episodes, in a file called header.csv
    renamed.pop("export_1.csv")  # (that was the episodes under its own name)
    read = ssda903.read(as_files(renamed), pseudonymise=pseudonymise)
    assert not read.blocked
    assert len(read.tables["episodes"]) == 18 and len(read.tables["header"]) == 13


def test_columns_are_matched_whatever_their_case_spacing_or_byte_order_mark(synthetic):
    data = synthetic.csv_files()["episodes.csv"].decode()
    heading, rest = data.split("\r\n", 1)
    messy = "\ufeff" + ",".join(f" {c.lower()} " for c in heading.split(",")) + "\r\n" + rest
    read = ssda903.read([("eps.csv", io.BytesIO(messy.encode("utf-8")))], pseudonymise=pseudonymise)
    assert len(read.tables["episodes"]) == 18
    assert not [p for p in read.problems if p.severity == "error"]


def test_a_file_in_windows_encoding_is_read(synthetic):
    extra = "C999,1,01/01/2010,WBRI,,é,\r\n".encode("cp1252")
    data = synthetic.csv_files()["header.csv"] + extra
    read = ssda903.read([("header.csv", io.BytesIO(data))], pseudonymise=pseudonymise)
    assert len(read.tables["header"]) == 14


def test_a_file_that_is_no_ssda903_table_is_refused_by_name_without_its_values():
    files = [("notes.csv", io.BytesIO(b"NAME,POSTCODE\nJane Doe,ZZ1 1ZZ\n"))]
    read = ssda903.read(files, pseudonymise=pseudonymise)
    assert read.blocked
    assert any(p.where == "notes.csv" and "match none of the SSDA903 tables" in p.message for p in read.problems)
    assert "Jane" not in every_text(read) and "ZZ1" not in every_text(read)


def test_nothing_at_all_is_refused_with_a_clear_message():
    read = ssda903.read([], pseudonymise=pseudonymise)
    assert read.blocked and "No SSDA903 table" in read.problems[0].message
    assert set(read.tables) == set(TABLES) and all(t.empty for t in read.tables.values())


def test_the_same_record_in_two_years_returns_is_kept_once_from_the_later_file(synthetic):
    rows = synthetic.rows()
    earlier = [dict(r) for r in rows["episodes"] if r["CHILD"] == "H008"]
    earlier[-1]["DECOM"] = "01/02/2024"  # the same open episode
    later = [dict(r) for r in rows["episodes"]]
    files = csv_files({"episodes": earlier}) + csv_files({"episodes": later})
    files = [("2023/episodes.csv", files[0][1]), ("2024/episodes.csv", files[1][1])]
    read = ssda903.read(files, pseudonymise=pseudonymise)
    assert len(read.tables["episodes"]) == 18
    assert any(p.severity == "warning" and "more than one file" in p.message for p in read.problems)
    assert not read.blocked


def test_the_pseudonymiser_is_called_once_per_child(synthetic):
    calls = []

    def counting(identifier):
        calls.append(identifier)
        return pseudonymise(identifier)

    ssda903.read(as_files(synthetic.csv_files()), pseudonymise=counting)
    assert sorted(calls) == sorted({c.child for c in synthetic.children})


def test_dates_in_iso_form_are_read_too(synthetic):
    rows = synthetic.rows()
    for row in rows["episodes"]:
        if row["DECOM"]:
            d, m, y = row["DECOM"].split("/")
            row["DECOM"] = f"{y}-{m}-{d}"
    read = ssda903.read(csv_files(rows, only=("episodes",)), pseudonymise=pseudonymise)
    assert not read.blocked and read.tables["episodes"]["decom"].min() == pd.Timestamp(date(2019, 1, 10))
