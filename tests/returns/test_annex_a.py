"""Ofsted Annex A workbooks: lists found by tolerant rules whatever the layout, measures worked by
hand (returns.annex_a.synthetic), ambiguity reported, nothing identifying kept or quoted."""

import io
from datetime import date

import pandas as pd
import pytest
from openpyxl import Workbook

from returns import annex_a
from returns.annex_a.lists import list_from_name, normalise
from returns.annex_a.reader import reason_code, to_bool, to_date
from returns.annex_a.synthetic import EXPECTED, REFERRALS, workbook
from returns.types import ALL, MEASURE_COLUMNS, Group, Period

from .helpers import every_text, pseudonymise

YEAR = Period(date(2023, 4, 1), date(2024, 3, 31))


def read(data: bytes, name="annex_a.xlsx"):
    return annex_a.read([(name, io.BytesIO(data))], pseudonymise=pseudonymise)


def saved(book: Workbook) -> bytes:
    """The workbook's bytes, as a partner's upload carries them."""
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def answers(result, periods=(YEAR,), groups=(ALL,)):
    frame = annex_a.measures(result, periods=list(periods), groups=list(groups), population={})
    assert list(frame.columns) == MEASURE_COLUMNS
    return {(r.measure, r.group, r.period_start): (r.value, r.numerator, r.denominator) for r in frame.itertuples()}


@pytest.mark.parametrize("messy", [False, True], ids=["tidy", "messy"])
def test_every_measure_matches_the_hand_count(messy):
    result = read(workbook(messy=messy))
    assert result.problems == [] and result.kind == "annex_a"
    got = answers(result)
    assert set(annex_a.MEASURES) == set(EXPECTED)
    for code, (value, numerator, denominator) in EXPECTED.items():
        got_value, got_numerator, got_denominator = got[(code, "all", YEAR.start)]
        assert got_value == pytest.approx(value), code
        assert (got_numerator, got_denominator) == (numerator, denominator), code


def test_messy_and_tidy_workbooks_read_the_same():
    tidy, messy = read(workbook()), read(workbook(messy=True))
    for name, table in tidy.tables.items():
        assert table.astype(str).equals(messy.tables[name].astype(str)), name


def test_identifiers_are_pseudonymised_dates_of_birth_cut_and_nothing_else_kept():
    result = read(workbook(messy=True))
    text = every_text(result)
    for child, *_ in REFERRALS:
        assert f",{child}," not in text and pseudonymise(child) in text
    assert "Worker Name" not in text and "WORKER" not in text.upper().replace("WORKERS", "")
    assert "Female" not in text  # gender is not read
    referrals = result.tables["referrals"]
    assert (referrals["dob"].dt.day == 1).all()
    assert set(referrals.columns) == {"child", "dob", "referral_date", "nfa"}
    assert result.children == 23  # the adopters' list is about adopters: not read


def test_a_group_of_children_and_a_rule_group():
    result = read(workbook())
    group = Group("intervention", children=frozenset({pseudonymise("R1"), pseudonymise("L2")}))
    rule = Group("comparison", from_date=date(2024, 1, 1))
    got = answers(result, groups=[group, rule])
    assert got[("cin_referrals", "intervention", YEAR.start)] == (2.0, 2, None)
    assert got[("re_referrals_12m", "intervention", YEAR.start)] == (50.0, 1, 2)
    assert got[("entries_to_care", "intervention", YEAR.start)] == (1.0, 1, None)
    assert got[("exits_return_home", "intervention", YEAR.start)] == (100.0, 1, 1)
    # From 1 January 2024: R1's and R5's second referrals, both re-referrals.
    assert got[("cin_referrals", "comparison", YEAR.start)] == (2.0, 2, None)
    assert got[("re_referrals_12m", "comparison", YEAR.start)] == (100.0, 2, 2)
    assert got[("assessments_45_days", "comparison", YEAR.start)] == (100.0, 1, 1)  # A4


def test_working_days_leave_out_england_bank_holidays():
    # A2 took 50 weekdays from 03/04/2023, five of them bank holidays (Easter, both May Mondays, the
    # coronation): 45 working days, in time. S3's conference was 16 weekdays after its start, one the
    # August bank holiday: 15, in time.
    got = answers(read(workbook()), periods=[Period(date(2023, 6, 1), date(2023, 6, 30)),
                                            Period(date(2023, 9, 1), date(2023, 9, 30))])  # fmt: skip
    assert got[("assessments_45_days", "all", date(2023, 6, 1))] == (100.0, 2, 2)
    assert got[("icpc_15_days", "all", date(2023, 9, 1))] == (100.0, 1, 1)


def test_periods_outside_the_workbook_window_are_not_estimable():
    got = answers(read(workbook()), periods=[Period(date(2023, 1, 1), date(2023, 3, 31)),
                                            Period(date(2024, 4, 1), date(2024, 4, 30))])  # fmt: skip
    for code in annex_a.MEASURES:
        assert got[(code, "all", date(2023, 1, 1))] == (None, None, None)
        assert got[(code, "all", date(2024, 4, 1))] == (None, None, None)


def test_a_list_the_workbook_lacks_gives_nothing():
    book = Workbook()
    sheet = book.active
    sheet.title = "List 3"
    sheet.append(["Child Unique ID", "Date of referral", "Referral NFA?"])
    sheet.append(["X1", date(2023, 5, 1), "No"])
    sheet.append(["X2", date(2024, 2, 1), "Yes"])
    got = answers(read(saved(book)), periods=[Period(date(2023, 5, 1), date(2024, 2, 29))])
    assert got[("referrals_nfa", "all", date(2023, 5, 1))] == (50.0, 1, 2)
    assert got[("cla_count", "all", date(2023, 5, 1))] == (None, None, None)


def test_two_columns_that_could_be_the_same_field_are_an_error():
    result = read(workbook(ambiguous=True))
    assert result.blocked
    problem = next(p for p in result.problems if p.severity == "error")
    assert problem.field == "Date of referral" and "2 columns could be" in problem.message
    assert problem.where == "annex_a.xlsx, sheet List 3, row 1"


def test_a_list_without_a_column_the_measures_need_is_an_error():
    book = Workbook()
    sheet = book.active
    sheet.title = "List 4"
    sheet.append(["Child Unique ID", "Gender", "Continuous Assessment Start Date"])
    sheet.append(["X1", "a) Male", date(2023, 5, 1)])
    result = read(saved(book))
    assert result.blocked
    assert [(p.where, p.field) for p in result.problems] == [
        ("annex_a.xlsx, sheet List 4, row 1", "Assessment date of authorisation")
    ]


def test_bad_cells_are_reported_by_sheet_row_and_field_without_their_values():
    book = Workbook()
    sheet = book.active
    sheet.title = "Referrals"
    sheet.append(["Child ID", "Date of referral", "Referral NFA?"])
    sheet.append(["SECRETCHILD", "the fifth of May", "maybe"])
    sheet.append([None, date(2023, 5, 1), "No"])
    sheet.append(["X3", date(2099, 1, 1), "No"])
    result = read(saved(book))
    found = {(p.severity, p.where, p.field) for p in result.problems}
    assert found == {
        ("error", "annex_a.xlsx, sheet Referrals, row 2", "Date of referral"),
        ("warning", "annex_a.xlsx, sheet Referrals, row 2", "Referral NFA"),
        ("error", "annex_a.xlsx, sheet Referrals, row 3", "Child unique ID"),
        ("error", "annex_a.xlsx, sheet Referrals, row 4", "Date of referral"),
    }
    text = repr(result.problems)
    assert "SECRETCHILD" not in text and "fifth" not in text and "maybe" not in text


def test_dates_out_of_order_in_a_row_are_errors_naming_sheet_row_and_field():
    """Assessment start <= authorisation, section 47 start <= initial conference, plan start <= end,
    started to be looked after <= ceased: a row breaking one is an error (nothing stored), named by
    its sheet, row and the later field, never its value (the lists had no order checks)."""
    book = Workbook()
    rows = {
        "List 4 assessments": (["Child ID", "Assessment start date", "Date of authorisation"],
                               [["A1", date(2023, 6, 1), date(2023, 5, 1)], ["A2", date(2023, 6, 1), date(2023, 6, 1)]]),
        "List 5 section 47": (["Child ID", "Section 47 start date", "Date of initial child protection conference"],
                              [["B1", date(2023, 6, 1), date(2023, 5, 30)], ["B2", date(2023, 6, 1), None]]),
        "List 7 child protection": (["Child ID", "Child protection plan start date", "Child protection plan end date"],
                                    [["C1", date(2023, 6, 1), date(2023, 5, 1)]]),
        "List 8 looked after": (["Child ID", "Date started to be looked after", "Date ceased to be looked after"],
                                [["D1", date(2023, 6, 1), date(2023, 1, 1)], ["D2", date(2023, 6, 1), None]]),
    }  # fmt: skip
    book.remove(book.active)
    for title, (header, lines) in rows.items():
        sheet = book.create_sheet(title)
        sheet.append(header)
        for line in lines:
            sheet.append(line)
    result = read(saved(book))
    assert result.blocked
    found = {(p.severity, p.where, p.field) for p in result.problems}
    assert found == {
        ("error", "annex_a.xlsx, sheet List 4 assessments, row 2", "Assessment date of authorisation"),
        ("error", "annex_a.xlsx, sheet List 5 section 47, row 2", "Date of initial child protection conference"),
        ("error", "annex_a.xlsx, sheet List 7 child protection, row 2", "Child protection plan end date"),
        ("error", "annex_a.xlsx, sheet List 8 looked after, row 2", "Date ceased to be looked after"),
    }
    assert "2023" not in repr(result.problems) and "A1" not in repr(result.problems)


@pytest.mark.parametrize("cell", ["nan", "NaN", "inf", "-inf", "1e400", "1e300", "²", "-2", "1.5", "three"])
def test_a_number_of_previous_plans_that_is_no_whole_number_is_a_warning_not_a_crash(cell):
    """Text an export writes for an empty or broken number ("nan", "inf") is reported like any
    other bad number (the reader used to raise on it, failing the whole import)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "List 7 child protection"
    sheet.append(["Child ID", "Child protection plan start date", "Number of previous child protection plans"])
    sheet.append(["K1", date(2023, 5, 1), cell])
    sheet.append(["K2", date(2023, 6, 1), 2])
    result = read(saved(book))
    assert not result.blocked
    assert [(p.severity, p.where, p.field) for p in result.problems] == [
        ("warning", "annex_a.xlsx, sheet List 7 child protection, row 2", "Number of previous child protection plans")
    ]
    assert cell not in repr(result.problems)
    assert result.tables["protection_plans"]["previous_plans"].tolist() == [pd.NA, 2]


def test_a_file_that_is_not_a_workbook_is_refused_clearly():
    result = read(b"PK\x03\x04 not really", name="annex.xlsx")
    assert result.blocked and "could not be opened as an Excel workbook" in result.problems[0].message
    result = read(b"hello", name="annex.xlsx")
    assert result.blocked


def test_a_workbook_with_no_list_is_refused():
    book = Workbook()
    book.active.append(["Anything", "else"])
    result = read(saved(book))
    assert result.blocked and "No Annex A list was found" in result.problems[0].message


def test_detect():
    assert annex_a.detect("annex_a.xlsx", workbook()[:2048])
    assert annex_a.detect("upload", workbook()[:2048])  # by its parts, not its name
    assert not annex_a.detect("episodes.csv", b"CHILD,DECOM,RNE,LS,PLACE\n")
    assert not annex_a.detect("cin.xml", b"<?xml version='1.0'?><Message/>")


@pytest.mark.parametrize(
    "cell, expected",
    [
        (date(2023, 5, 1), date(2023, 5, 1)),
        (45047, date(2023, 5, 1)),  # an Excel serial day
        (45047.0, date(2023, 5, 1)),
        ("45047", date(2023, 5, 1)),
        ("01/05/2023", date(2023, 5, 1)),
        ("2023-05-01", date(2023, 5, 1)),
        ("01-05-2023", date(2023, 5, 1)),
        ("1 May 2023", date(2023, 5, 1)),
        ("01/05/2023 00:00:00", date(2023, 5, 1)),
        ("", None),
        (None, None),
        ("soon", False),
    ],
)
def test_dates_in_the_forms_found_in_the_wild(cell, expected):
    assert to_date(cell) == expected


@pytest.mark.parametrize(
    "cell, expected",
    [("a) Yes", True), ("b) No", False), ("Y", True), ("n", False), ("Yes - NFA", True), (1, True), (0, False),
     (None, None), ("", None), ("Unknown", "?")],
)  # fmt: skip
def test_yes_no_labels_in_the_forms_found_in_the_wild(cell, expected):
    assert to_bool(cell) == expected


@pytest.mark.parametrize(
    "name, number",
    [("List 3", 3), ("L8 - CLA", 8), ("list 03 referrals", 3), ("Annex A - List 5: Section 47", 5),
     ("Care leavers", 9), ("Children looked after", 8), ("Adopters", 11), ("Adoption", 10),
     ("Child protection plans", 7), ("S47 and ICPC", 5), ("Early help assessments", 2), ("Notes", None)],
)  # fmt: skip
def test_sheet_names_and_titles(name, number):
    found = list_from_name(name)
    assert (found.number if found else None) == number


def test_headings_are_normalised():
    assert normalise("b) Female") == "female"
    assert normalise("  Referral NFA? \n") == "referral nfa"
    assert normalise("Child's Legal Status") == "child s legal status"


@pytest.mark.parametrize(
    "cell, code",
    [("a) E11: Adopted - application unopposed", "E11"), ("e4b", "E4B"), ("E46 Special guardianship order", "E46"),
     ("Adopted", "ADOPTED"), ("SGO to grandmother Jane Smith", "SPECIAL_GUARDIANSHIP"),
     ("Returned home to mum", "RETURNED_HOME"), ("Moved in with Jane Smith", "OTHER"), ("", None), (None, None)],
)  # fmt: skip
def test_the_reason_care_ceased_is_kept_as_a_code_never_as_free_text(cell, code):
    assert reason_code(cell) == code


def test_an_empty_read_gives_nothing_estimable():
    result = annex_a.read([], pseudonymise=pseudonymise)
    got = answers(result)
    assert len(got) == len(annex_a.MEASURES) and all(v == (None, None, None) for v in got.values())
