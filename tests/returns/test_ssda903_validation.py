"""Checks of an SSDA903 return: each rule the measures depend on gives a finding naming the file,
row and field, and never a value from the return."""

import io

import pytest

from returns import ssda903
from returns.ssda903.synthetic import scenario
from returns.ssda903.validation import MAX_SHOWN

from .helpers import csv_files, pseudonymise


@pytest.fixture
def rows():
    return scenario().rows()


def findings(rows, **changes):
    """Read the scenario with ``changes``: {"table": [(row index, column, value), ...]}."""
    for table, edits in changes.items():
        for index, column, value in edits:
            rows[table][index][column] = value
    read = ssda903.read(csv_files(rows), pseudonymise=pseudonymise)
    return read


def only(read, severity="error"):
    return [(p.where, p.field) for p in read.problems if p.severity == severity]


def episode_row(rows, child, number=0):
    """The index of a child's ``number``th episode, and its row in the CSV (the header is row 1)."""
    indexes = [i for i, r in enumerate(rows["episodes"]) if r["CHILD"] == child]
    return indexes[number], indexes[number] + 2


def test_the_synthetic_return_has_no_problem(rows):
    assert findings(rows).problems == []


@pytest.mark.parametrize(
    "column, value",
    [("RNE", "X"), ("LS", "Z9"), ("PLACE", "Q1"), ("REC", "E99")],
)
def test_a_code_not_in_its_list_is_an_error(rows, column, value):
    index, line = episode_row(rows, "D004")  # an ended episode, so its REC is checked too
    read = findings(rows, episodes=[(index, column, value)])
    assert only(read) == [(f"episodes.csv, row {line}", column)]
    assert read.blocked and value not in repr(read.problems)


def test_codes_of_missing_and_care_leaver_tables_are_checked(rows):
    read = findings(rows, missing=[(0, "MISSING", "Q")], oc3=[(0, "IN_TOUCH", "MAYBE"), (1, "ACTIV", "X9"), (2, "ACCOM", "B7")])
    assert set(only(read)) == {("missing.csv, row 2", "MISSING"), ("oc3.csv, row 2", "IN_TOUCH"),
                               ("oc3.csv, row 3", "ACTIV"), ("oc3.csv, row 4", "ACCOM")}  # fmt: skip


def test_codes_are_read_whatever_their_case(rows):
    index, _ = episode_row(rows, "A001")
    read = findings(rows, episodes=[(index, "LS", "v2"), (index, "PLACE", "u4")])
    assert read.problems == []
    assert set(read.tables["episodes"]["ls"]) <= {"V2", "C2", "E1", "V3"}


def test_a_required_value_left_empty_is_an_error(rows):
    index, line = episode_row(rows, "C003", 1)
    read = findings(rows, episodes=[(index, "DECOM", "")], missing=[(1, "MIS_START", "")])
    assert set(only(read)) >= {(f"episodes.csv, row {line}", "DECOM"), ("missing.csv, row 3", "MIS_START")}


def test_an_ended_episode_without_its_reason_is_an_error(rows):
    index, line = episode_row(rows, "D004")
    read = findings(rows, episodes=[(index, "REC", "")])
    assert only(read) == [(f"episodes.csv, row {line}", "REC")]


def test_an_open_episode_needs_no_reason(rows):
    index, _ = episode_row(rows, "B002", 1)
    rows["episodes"][index]["REC"] = ""
    assert findings(rows).problems == []


@pytest.mark.parametrize("value", ["31/02/2023", "2023/13/01", "yesterday", "1/1/23x"])
def test_a_date_that_does_not_parse_is_an_error(rows, value):
    index, line = episode_row(rows, "E005", 1)
    read = findings(rows, episodes=[(index, "DEC", value)])
    assert (f"episodes.csv, row {line}", "DEC") in only(read)
    assert any("DD/MM/YYYY" in p.message for p in read.problems)


@pytest.mark.parametrize("value", ["01/01/1960", "01/01/2099"])
def test_an_implausible_date_is_an_error(rows, value):
    read = findings(rows, header=[(0, "DOB", value)])
    assert ("header.csv, row 2", "DOB") in only(read)


def test_an_episode_ending_before_it_starts_is_an_error(rows):
    index, line = episode_row(rows, "D004")
    read = findings(rows, episodes=[(index, "DEC", "01/01/2021")])
    assert (f"episodes.csv, row {line}", "DEC") in only(read)


def test_a_missing_incident_ending_before_it_starts_is_an_error(rows):
    read = findings(rows, missing=[(0, "MIS_END", "01/01/2023")])
    assert only(read) == [("missing.csv, row 2", "MIS_END")]


def test_an_episode_starting_before_the_child_was_born_is_an_error(rows):
    index, line = episode_row(rows, "C003")
    read = findings(rows, episodes=[(index, "DECOM", "01/01/2009")])  # C was born in 2010
    assert (f"episodes.csv, row {line}", "DECOM") in only(read)


def test_overlapping_episodes_of_a_child_are_an_error(rows):
    # H's second episode starts before the first one ends.
    index, line = episode_row(rows, "H008", 1)
    read = findings(rows, episodes=[(index, "DECOM", "01/04/2023")])
    assert (f"episodes.csv, row {line}", "DECOM") in only(read)
    assert any("previous episode" in p.message for p in read.problems)


def test_an_episode_after_one_still_open_is_an_error(rows):
    first, _ = episode_row(rows, "G007", 0)
    _, line = episode_row(rows, "G007", 1)
    read = findings(rows, episodes=[(first, "DEC", ""), (first, "REC", "")])
    assert only(read) == [(f"episodes.csv, row {line}", "DECOM")]


def test_a_missing_column_the_measures_need_is_an_error(rows):
    read = ssda903.read(csv_files(rows), pseudonymise=pseudonymise)
    episodes = read.tables["episodes"]
    assert len(episodes)
    files = csv_files(rows)
    name, stream = next((n, s) for n, s in files if n == "episodes.csv")
    text = stream.getvalue().decode().splitlines()
    without_rec = "\n".join(",".join(line.split(",")[:8] + line.split(",")[9:]) for line in text)
    read = ssda903.read([("episodes.csv", io.BytesIO(without_rec.encode()))], pseudonymise=pseudonymise)
    assert ("episodes.csv", "REC") in only(read)


def test_a_row_with_too_many_fields_is_reported_by_its_row(rows):
    files = dict(csv_files(rows))
    text = files["missing.csv"].getvalue().decode().rstrip("\n") + "\nX1,01/01/2010,M,01/06/2023,02/06/2023,extra,more\n"
    read = ssda903.read([("missing.csv", io.BytesIO(text.encode()))], pseudonymise=pseudonymise)
    assert read.blocked
    assert any(p.where.startswith("missing.csv, row") and "could not be read" in p.message for p in read.problems)


def test_many_rows_with_the_same_problem_are_counted_not_listed(rows):
    many = [dict(rows["missing"][0], MISSING="Q") for _ in range(MAX_SHOWN + 7)]
    rows["missing"] = many
    read = ssda903.read(csv_files(rows), pseudonymise=pseudonymise)
    listed = [p for p in read.problems if p.field == "MISSING"]
    assert len(listed) == MAX_SHOWN + 1
    assert "7 more rows of the Missing table" in listed[-1].message


def test_no_problem_ever_quotes_an_identifying_value(rows):
    synthetic = scenario()
    for row in rows["episodes"]:
        row["LS"] = "ZZ"
        row["DECOM"] = row["DECOM"] + "x"
    for row in rows["header"]:
        row["DOB"] = "not a date"
        row["SEX"] = "9"
    read = ssda903.read(csv_files(rows), pseudonymise=pseudonymise)
    assert read.blocked and len(read.problems) > 5
    text = "\n".join(repr(p) for p in read.problems)
    for child in synthetic.children:
        assert child.child not in text and child.upn not in text and pseudonymise(child.child) not in text
    for row in rows["episodes"]:
        assert row["DECOM"] not in text and row["HOME_POST"] not in text


def test_a_warning_does_not_block(rows):
    read = findings(rows, header=[(0, "SEX", "9")])  # sex is not used by the measures
    assert [(p.severity, p.field) for p in read.problems] == [("warning", "SEX")]
    assert not read.blocked
