"""Every rule of the outcome CSV check, each with a bad file of its own."""

from datetime import date
from decimal import Decimal

import pytest

from outcomes.parsing import parse_outcome_csv

UNITS = {"re_referrals_12m": "percentage", "cp_plans_rate": "rate_10k", "entries_to_care": "count"}
HEADER = "measure,period_start,period_end,group,value,numerator,denominator\n"


def parse(text: str | bytes):
    return parse_outcome_csv(text if isinstance(text, bytes) else text.encode(), measure_units=UNITS)


def test_a_good_file_is_read_with_uk_dates():
    rows, problems = parse(
        HEADER + "re_referrals_12m,01/04/2025,30/04/2025,intervention,22.5,45,200\n"
        "cp_plans_rate,2025-04-01,2025-04-30,all,48.1,,\n"
    )
    assert problems == []
    assert rows[0].period_start == date(2025, 4, 1) and rows[0].value == Decimal("22.5")
    assert (rows[0].numerator, rows[0].denominator) == (45, 200)
    assert rows[1].numerator is None and rows[1].group == "all"


@pytest.mark.parametrize(
    ("line", "column", "reason"),
    [
        ("unknown_measure,01/04/2025,30/04/2025,all,1,,", "measure", "Unknown measure"),
        ("re_referrals_12m,31/02/2025,30/04/2025,all,1,,", "period_start", "Not a date"),
        ("re_referrals_12m,04/01/2025 ,xx,all,1,,", "period_end", "Not a date"),
        ("re_referrals_12m,30/04/2025,01/04/2025,all,1,,", "period_end", "ends before it starts"),
        ("re_referrals_12m,01/04/2025,30/04/2025,everyone,1,,", "group", "Use one of"),
        ("re_referrals_12m,01/04/2025,30/04/2025,all,lots,,", "value", "Not a number"),
        ("re_referrals_12m,01/04/2025,30/04/2025,all,-1,,", "value", "cannot be negative"),
        ("re_referrals_12m,01/04/2025,30/04/2025,all,101,,", "value", "more than 100"),
        ("re_referrals_12m,01/04/2025,30/04/2025,all,50,60,50", "numerator", "larger than the denominator"),
        ("re_referrals_12m,01/04/2025,30/04/2025,all,50,2.5,5", "numerator", "whole number"),
        ("re_referrals_12m,01/04/2025,30/04/2025,all,=1+1,,", "value", "formulas"),
        ("re_referrals_12m,01/04/2025,30/04/2025,@SUM(A1),1,,", "group", "formulas"),
        ("entries_to_care,01/04/2025,30/04/2025,all,NaN,,", "value", "Not a number"),
    ],
)
def test_each_bad_cell_is_named_by_row_column_value_and_reason(line, column, reason):
    rows, problems = parse(HEADER + line + "\n")
    assert rows == []
    assert any(p.row == 2 and p.column == column and reason in p.reason for p in problems), problems


def test_duplicate_rows_are_refused_naming_the_first():
    line = "re_referrals_12m,01/04/2025,30/04/2025,all,1,,\n"
    _, problems = parse(HEADER + line + line)
    assert [(p.row, p.column) for p in problems] == [(3, "period_start")]
    assert "row 2" in problems[0].reason


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (HEADER.encode(), "no data rows"),
        (b"measure,value\nx,1\n", "missing"),
        (b"\x00\x01\x02\xff\xfe" * 10, "not text"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook but it cannot be read"),
    ],
)
def test_whole_file_problems(content, reason):
    rows, problems = parse(content)
    assert rows == [] and problems and reason in problems[0].reason


def test_a_file_far_too_large_is_refused_before_reading(monkeypatch):
    import outcomes.parsing

    monkeypatch.setattr(outcomes.parsing, "MAX_BYTES", 100)
    _, problems = parse(HEADER + "re_referrals_12m,01/04/2025,30/04/2025,all,1,,\n" * 5)
    assert "larger than" in problems[0].reason


def test_utf8_with_a_byte_order_mark_and_windows_1252_are_both_read():
    body = "re_referrals_12m,01/04/2025,30/04/2025,all,1,,\n"
    rows, problems = parse(b"\xef\xbb\xbf" + (HEADER + body).encode())
    assert problems == [] and len(rows) == 1
    rows, problems = parse((HEADER.replace("measure", "Measure") + body).encode("cp1252") + "# caf\u00e9\n".encode("cp1252"))
    assert any("Unknown measure" in p.reason for p in problems)  # read as text, then checked


def test_problems_are_capped_so_a_wrong_file_does_not_flood_the_page():
    rows, problems = parse(HEADER + "nope,01/04/2025,30/04/2025,all,1,,\n" * 1000)
    assert len(problems) == 200
