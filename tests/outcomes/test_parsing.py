"""Every rule of the outcome CSV check, each with a bad file of its own."""

import io
import re
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


def test_a_file_far_too_large_is_refused_before_reading(settings):
    settings.OUTCOME_UPLOAD_MAX_BYTES = 100
    _, problems = parse(HEADER + "re_referrals_12m,01/04/2025,30/04/2025,all,1,,\n" * 5)
    assert "larger than" in problems[0].reason


def test_utf8_with_a_byte_order_mark_and_windows_1252_are_both_read():
    body = "re_referrals_12m,01/04/2025,30/04/2025,all,1,,\n"
    rows, problems = parse(b"\xef\xbb\xbf" + (HEADER + body).encode())
    assert problems == [] and len(rows) == 1
    cafe = "caf\u00e9,01/04/2025,30/04/2025,all,1,,\n"
    rows, problems = parse((HEADER.replace("measure", "Measure") + body + cafe).encode("cp1252"))
    assert [p.value for p in problems] == ["caf\u00e9"]  # read as text, then checked
    # Read in blocks: Windows-1252 found only after the first megabyte of ASCII is still read as such.
    empty = ",,,,,,\n"  # a row with nothing in it is skipped
    rows, problems = parse((HEADER + body + empty * 200_000 + cafe).encode("cp1252"))
    assert [(p.row, p.value) for p in problems] == [(200_003, "caf\u00e9")]
    # UTF-8 beyond the first block, a character split across two blocks.
    for pad in (5, 6, 7):  # "\u00e9" (2 bytes) starts just before, across, and at the first megabyte's end
        rows, problems = parse((HEADER + body + empty * 149_779 + "x" * pad + cafe).encode())
        assert [p.value for p in problems] == ["x" * pad + "caf\u00e9"]
    # Bytes neither encoding has, or a NUL, anywhere in the file: not text.
    for bad in (b"\x81", b"\x00"):
        _, problems = parse((HEADER + body + empty * 200_000).encode() + bad + b"\n")
        assert [p.reason for p in problems] == ["The file is not text. Save it as CSV (UTF-8)."]


def test_problems_are_capped_so_a_wrong_file_does_not_flood_the_page():
    rows, problems = parse(HEADER + "nope,01/04/2025,30/04/2025,all,1,,\n" * 1000)
    assert len(problems) == 200


# --- values that must agree with their counts, and messages that say how to fix a cell ------------------

UNITS_WITH_DAYS = {**UNITS, "days_to_assessment": "days"}


def parse_line(line: str):
    return parse_outcome_csv((HEADER + line + "\n").encode(), measure_units=UNITS_WITH_DAYS)


@pytest.mark.parametrize(
    ("line", "column", "reason"),
    [
        # 37 / 164 = 22.56%: 50 disagrees, and the message gives what the counts imply.
        ("re_referrals_12m,01/04/2025,30/04/2025,all,50,37,164", "value", "37 out of 164 is 22.6%, not 50"),
        ("re_referrals_12m,01/04/2025,30/04/2025,all,23,37,164", "value", "37 out of 164 is 22.6%"),
        # 22.52 is within 0.05 of 22.56 but shows as 22.5%, not the 22.6% its counts give
        ("re_referrals_12m,01/04/2025,30/04/2025,all,22.52,37,164", "value", "37 out of 164 is 22.6%, not 22.52"),
        ("cp_plans_rate,01/04/2025,30/04/2025,all,22.52,37,16400", "value", "a rate of 22.6 per 10,000"),
        ("re_referrals_12m,01/04/2025,30/04/2025,all,22.56,22549,100000", "value", "is 22.5%, not 22.56"),
        ("cp_plans_rate,01/04/2025,30/04/2025,all,40,37,16400", "value", "a rate of 22.6 per 10,000"),
        # past any decimal precision: refused with the rest, never a crash (found by the fuzzer)
        ("re_referrals_12m,01/04/2025,30/04/2025,all,1E+30,37,164", "value", "37 out of 164 is 22.6%, not 1E+30"),
        ("re_referrals_12m,01/04/2025,30/04/2025,all,22.6,37,", "denominator", "give the denominator too"),
        ("re_referrals_12m,01/04/2025,30/04/2025,all,22.6,,164", "numerator", "give the numerator too"),
        ("days_to_assessment,01/04/2025,30/04/2025,all,7,3,", "denominator", "give the denominator too"),
        ("entries_to_care,01/04/2025,30/04/2025,all,0.4,,", "value", "A count is a whole number"),
        ("re_referrals_12m,01/04/2025,30/04/2025,all,0,0,0", "value", "leave the value empty"),
        ("re_referrals_12m,01/04/2025,30/04/2025,all,,37,164", "value", "Enter a value, or leave the row out."),
        ("re_referrals_12m,01/04/2025,30/04/2025,all,22.6%,37,164", "value", "Remove the % sign: give 22.6, not 22.6%."),
        ('re_referrals_12m,01/04/2025,30/04/2025,all,"22,6",37,164', "value", "Use a full stop for decimals: 22.6"),
        ("re_referrals_12m,01/04/2025,30/04/2025,all,[c],,", "value", "Give the real value, or leave the row out"),
        ("re_referals_12m,01/04/2025,30/04/2025,all,1,,", "measure", "Did you mean re_referrals_12m?"),
        ("re_referrals_12m,04/30/2025,30/04/2025,all,1,,", "period_start", "Dates are day first: 30/04/2025"),
        ("re_referrals_12m,,30/04/2025,all,1,,", "period_start", "Enter a date"),
    ],
)
def test_values_must_agree_with_their_counts_and_each_message_says_how_to_fix_it(line, column, reason):
    rows, problems = parse_line(line)
    assert rows == []
    assert any(p.row == 2 and p.column == column and reason in p.reason for p in problems), problems


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("re_referrals_12m,01/04/2025,30/04/2025,all,22.6,37,164", Decimal("22.6")),  # 22.56 shown to 1 place
        ("re_referrals_12m,01/04/2025,30/04/2025,all,22.56,37,164", Decimal("22.56")),
        ("re_referrals_12m,01/04/2025,30/04/2025,all,22.64,37,164", Decimal("22.64")),  # shown as 22.6, as 37/164 is
        ("re_referrals_12m,01/04/2025,30/04/2025,all,6.2,1,16", Decimal("6.2")),  # 6.25 exactly: rounded either way
        ("re_referrals_12m,01/04/2025,30/04/2025,all,6.3,1,16", Decimal("6.3")),
        ("cp_plans_rate,01/04/2025,30/04/2025,all,22.64,37,16400", Decimal("22.64")),
        # 22549 / 100000 is 22.549 (shown 22.5); 22.55 is it to 2 places, though shown as 22.6
        ("re_referrals_12m,01/04/2025,30/04/2025,all,22.55,22549,100000", Decimal("22.55")),
        ("re_referrals_12m,01/04/2025,30/04/2025,all,22.5500,22549,100000", Decimal("22.55")),
        ("re_referrals_12m,01/04/2025,30/04/2025,all,22.5,45,200", Decimal("22.5")),
        # 37 / 164 to 42 significant digits: more than the default decimal context holds
        (
            "re_referrals_12m,01/04/2025,30/04/2025,all,22.5609756097560975609756097560975609756098,37,164",
            Decimal("22.5609756097560975609756097560975609756098"),
        ),
        ("cp_plans_rate,01/04/2025,30/04/2025,all,22.6,37,16400", Decimal("22.6")),
        ("days_to_assessment,01/04/2025,30/04/2025,all,7.5,,12", Decimal("7.5")),  # children only
        ('entries_to_care,01/04/2025,30/04/2025,all,"1,234",,', Decimal("1234")),  # thousands
        ("re_referrals_12m,01/04/2025,30/04/2025,all,,0,0", None),  # 0 of 0: not estimable
        ("days_to_assessment,01/04/2025,30/04/2025,all,,,0", None),
    ],
)
def test_values_that_agree_with_their_counts_are_read(line, value):
    rows, problems = parse_line(line)
    assert problems == [] and rows[0].value == value


# --- every problem says how to fix it ---------------------------------------------------------------------

# A problem says what to do: one of these verbs, at the start of a sentence or after a colon or comma.
FIX = re.compile(
    r"(^|[.:;,!?] )(give|correct|remove|add|use|enter|delete|split|save|check|leave|paste|send|upload|ask|change|keep|put|"
    r"choose|fill|try|rename)\b",
    re.IGNORECASE,
)
CHILD_HEADER = "child_ref,measure,period_start,period_end,event_date,start_date,group,value,numerator,denominator\n"
AGGREGATE_LINES = [
    "unknown_measure,01/04/2025,30/04/2025,all,1,,",
    ",01/04/2025,30/04/2025,all,1,,",
    "re_referrals_12m,31/02/2025,30/04/2025,all,1,,",
    "re_referrals_12m,04/30/2025,30/04/2025,all,1,,",
    "re_referrals_12m,,30/04/2025,all,1,,",
    "re_referrals_12m,30/04/2025,01/04/2025,all,1,,",
    "re_referrals_12m,01/04/2025,30/04/2025,everyone,1,,",
    "re_referrals_12m,01/04/2025,30/04/2025,all,lots,,",
    "re_referrals_12m,01/04/2025,30/04/2025,all,22.6%,37,164",
    're_referrals_12m,01/04/2025,30/04/2025,all,"22,6",37,164',
    "re_referrals_12m,01/04/2025,30/04/2025,all,[c],,",
    "re_referrals_12m,01/04/2025,30/04/2025,all,,37,164",
    "re_referrals_12m,01/04/2025,30/04/2025,all,-1,,",
    "re_referrals_12m,01/04/2025,30/04/2025,all,101,,",
    "entries_to_care,01/04/2025,30/04/2025,all,99999999999,,",
    "entries_to_care,01/04/2025,30/04/2025,all,0.4,,",
    "re_referrals_12m,01/04/2025,30/04/2025,all,50,60,50",
    "re_referrals_12m,01/04/2025,30/04/2025,all,50,2.5,5",
    "re_referrals_12m,01/04/2025,30/04/2025,all,50,37,164",
    "cp_plans_rate,01/04/2025,30/04/2025,all,40,37,16400",
    "re_referrals_12m,01/04/2025,30/04/2025,all,22.6,37,",
    "re_referrals_12m,01/04/2025,30/04/2025,all,22.6,,164",
    "re_referrals_12m,01/04/2025,30/04/2025,all,0,0,0",
    "re_referrals_12m,01/04/2025,30/04/2025,all,=1+1,,",
    "re_referrals_12m,01/04/2025,30/04/2025,all,9434765919,,",
]
CHILD_LINES = [
    ",entries_to_care,01/04/2025,30/04/2025,,,all,1,,",
    "9434765919,entries_to_care,01/04/2025,30/04/2025,,,all,1,,",
    "C1,cp_plans_rate,01/04/2025,30/04/2025,,,all,1,,",
    "C1,re_referrals_12m,01/04/2025,30/04/2025,,,all,2,,",
    "C1,entries_to_care,01/04/2025,30/04/2025,,,all,3,,",
    "C1,days_to_assessment,01/04/2025,30/04/2025,,,all,,,",
    "C1,entries_to_care,01/04/2025,30/04/2025,31/05/2025,,all,1,,",
    "C1,entries_to_care,01/04/2025,30/04/2025,15/04/2025,20/04/2025,all,1,,",
    "C1,entries_to_care,01/04/2025,30/04/2025,xx,yy,all,1,,",
    "C1,entries_to_care,01/04/2025,30/04/2025,,,all,1,3,4",
]
WHOLE_FILES = [
    b"",
    HEADER.encode(),
    b"measure,value\nx,1\n",
    b"first_name,measure,period_start,period_end,group,value\n",
    b"notes,measure,period_start,period_end,group,value\n",
    b"event_date," + HEADER.encode(),
    b"\x00\x01\x02\xff\xfe" * 10,
    b"PK\x03\x04\x14\x00\x06\x00",
    HEADER.encode() + b're_referrals_12m,"01/04/2025\n',
    (HEADER + "re_referrals_12m,01/04/2025,30/04/2025,all,1,,\n" * 2).encode(),  # a duplicate
    (
        b"child_ref,measure,period_start,period_end,group,value\n"
        b"C1,entries_to_care,01/04/2025,30/04/2025,intervention,1\n"
        b"C1,entries_to_care,01/04/2025,30/04/2025,comparison,1\n"
        b"C2,entries_to_care,01/04/2025,30/06/2025,intervention,1\n"
    ),  # a child in both groups; one period start with two ends
]


def problems_of(content: bytes, filename: str = "f.csv"):
    from outcomes import ingest

    units = {**UNITS_WITH_DAYS}
    result = ingest.run(
        io.BytesIO(content), filename=filename, size=len(content), measure_units=units, key="k" * 32, version="v1"
    )
    return result.problems


def test_every_problem_says_how_to_fix_it(settings):
    """(Before: "The period ends before it starts.", "Values cannot be negative.", "This column is missing.",
    "Duplicate: row 2 has ..." and others said what was wrong and not what to do.)"""
    files = [*WHOLE_FILES, *((HEADER + line + "\n").encode() for line in AGGREGATE_LINES)]
    files += [(CHILD_HEADER + line + "\n").encode() for line in CHILD_LINES]
    seen = set()
    for content in files:
        problems = problems_of(content)
        assert problems, content
        seen |= {p.reason for p in problems}
    settings.OUTCOME_UPLOAD_MAX_ROWS = 1
    seen |= {p.reason for p in problems_of((HEADER + "entries_to_care,01/04/2025,30/04/2025,all,1,,\n" * 3).encode())}
    settings.OUTCOME_UPLOAD_MAX_BYTES = 10
    seen |= {p.reason for p in problems_of(HEADER.encode())}
    assert len(seen) >= 40
    assert [reason for reason in sorted(seen) if not FIX.search(reason)] == []
