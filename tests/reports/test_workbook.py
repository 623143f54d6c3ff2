"""The report's XLSX appendix: its cells are the safe frame's (a hidden cell reads [c], never its
number), no text cell can run as a formula, and the same evidence gives the same bytes (no database)."""

import io
from dataclasses import replace

import openpyxl
import pandas as pd

from reports.evidence import evidence_build
from reports.workbook import report_workbook, sheet_name
from tests.reports.test_documents import context, report_data
from tests.reports.test_evidence import DID_PLAN

FIRST_ROW = 5  # of a measure's sheet: title, unit, a blank row and the header come first


def workbook(data=None, plan=DID_PLAN, **changes):
    evidence = evidence_build(report_data() if data is None else data, plan, threshold=5)
    content = report_workbook(evidence, context(**changes))
    return evidence, content, openpyxl.load_workbook(io.BytesIO(content))


def test_every_cell_is_the_safe_frames_and_a_hidden_cell_reads_c_never_its_number():
    evidence, _, book = workbook()
    assert book.sheetnames == ["Read me", "Findings", "1 re-referrals", "2 assessment-days"]
    labels = {"intervention": "Intervention", "comparison": "Comparison", "all": "All children"}
    hidden = 0
    for index, result in enumerate(evidence.measures, start=1):
        sheet = book[sheet_name(index, result.planned.code)]
        assert [c.value for c in sheet[FIRST_ROW - 1]] == [
            "Period start",
            "Period end",
            "Group",
            "Value",
            "Numerator",
            "Denominator",
            "Approved",
        ]
        safe = evidence.safe.frame[evidence.safe.frame["measure_code"] == result.planned.code]
        written = {(row[0].date(), row[2]): row[3:6] for row in sheet.iter_rows(min_row=FIRST_ROW, values_only=True)}
        assert len(written) == len(safe)
        for row in safe.itertuples():
            cells = written[(pd.Timestamp(row.period_start).date(), labels[row.group])]
            for column, cell in zip(("value", "numerator", "denominator"), cells):
                if pd.notna(getattr(row, f"{column}_reason")):
                    assert cell == "[c]"
                    hidden += 1
                elif pd.isna(getattr(row, column)):
                    assert cell is None  # not sent
                else:
                    assert cell == round(float(getattr(row, column)), 4)
    assert hidden > 0
    # The three re-referrals in 37 (Apr 2025) and what would give them away appear nowhere.
    april = [
        r for r in book["1 re-referrals"].iter_rows(min_row=FIRST_ROW, values_only=True) if r[0].year == 2025 and r[0].month == 4
    ]
    assert [r[3:5] for r in april] == [("[c]", "[c]"), ("[c]", "[c]"), (38.5965, 44)]


def test_numbers_are_numbers_formatted_to_the_tables_decimals():
    _, _, book = workbook()
    sheet = book["1 re-referrals"]
    value, numerator = sheet.cell(FIRST_ROW, 4), sheet.cell(FIRST_ROW, 5)
    assert value.value == 30 and value.number_format == "0.0"  # 30.0 (a whole float reads back as an int)
    assert isinstance(numerator.value, int) and numerator.number_format == "#,##0"
    findings = book["Findings"]
    header = [c.value for c in findings[1]]
    row = dict(zip(header, [c.value for c in findings[2]]))
    assert row["Measure"] == "re-referrals" and row["Role"] == "Primary" and row["Conclusion"] == "Improved"
    assert isinstance(row["Estimate"], float) and row["95% interval: low"] < row["Estimate"] < row["95% interval: high"]
    assert findings.cell(2, header.index("Relative change") + 1).number_format == "0.0%"
    assert dict(zip(header, [c.value for c in findings[3]]))["Role"] == "Secondary (exploratory)"


def test_the_read_me_says_what_the_report_is_and_draft_when_draft():
    _, _, book = workbook(plan=replace(DID_PLAN, signed_off=False))
    rows = {r[0]: r[1] for r in book["Read me"].iter_rows(values_only=True)}
    assert next(iter(rows)).startswith("DRAFT: ")
    assert rows["Partner"] == "Northshire County Council" and rows["Report version"] == 3
    assert rows["Evaluation plan"] == "Version 2, not signed off" and rows["Status"] == "DRAFT"
    assert rows["Data fingerprint (SHA-256)"] == "ab" * 32 and rows["Analysis code"] == "0.1.0+analysis.test"
    assert "fewer than 5 children are not shown ([c])" in rows["Small numbers"]
    _, _, signed = workbook()
    assert not any(str(r[0]).startswith("DRAFT") for r in signed["Read me"].iter_rows(values_only=True))


def test_no_text_cell_can_run_as_a_formula():
    data = report_data().assign(measure_name='=HYPERLINK("https://evil.example","x")')
    _, _, book = workbook(data=data, partner_name="=cmd|' /C calc'!A0", title="@SUM(1+1)")
    texts = [cell for sheet in book for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert texts and not any(cell.data_type == "f" for cell in texts)
    assert not any(cell.value.startswith(("=", "+", "-", "@")) for cell in texts)
    rows = {r[0]: r[1] for r in book["Read me"].iter_rows(values_only=True)}
    assert rows["Partner"] == "'=cmd|' /C calc'!A0" and "'@SUM(1+1)" in rows
    assert book["Findings"]["A2"].value == '\'=HYPERLINK("https://evil.example","x")'


def test_the_same_evidence_gives_the_same_bytes():
    evidence, first, _ = workbook()
    assert report_workbook(evidence, context()) == first
    assert report_workbook(evidence, context(version=4)) != first
