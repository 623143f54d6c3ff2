"""The report's XLSX appendix: what the report says about itself, its findings, and every cell of
every planned measure exactly as the safe frame shows it ([c] for a hidden cell, blank for a
number that was not sent).

Made from the same `Evidence` as the HTML, PDF and results JSON, so it shows no cell they hide and
no more decimals than they carry. Every text cell is neutralised (a spreadsheet never runs it as a
formula, whoever named the measure or the partner). The same evidence gives the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from pine.exports import neutralised
from reports.analysis import GROUP_LABELS, GROUPS, UNIT_LABELS
from reports.disclosure import REASON_COLUMNS, STORED_DECIMALS, TABLE_DECIMALS
from reports.documents import CONCLUSION_LABELS, DRAFT_NOTICE, SUPPRESSED, ReportContext, suppression_rule
from reports.evidence import Evidence, MeasureResult
from reports.ooxml import stable_zip, xml_text

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
DRAFT = Font(bold=True, color="D4351C")
WRAP = Alignment(wrap_text=True, vertical="top")
DATE_FORMAT = "yyyy-mm-dd"
WHOLE_FORMAT = "#,##0"
ESTIMATE_FORMAT = "0.0"  # estimates are rounded to one decimal place (reports.evidence)
PERCENT_FORMAT = "0.0%"
CELL_HEADER = ("Period start", "Period end", "Group", "Value", "Numerator", "Denominator", "Approved")
FINDINGS_HEADER = (
    "Measure",
    "Code",
    "Role",
    "Unit",
    "Method",
    "Estimate",
    "Scale",
    "95% interval: low",
    "95% interval: high",
    "Relative change",
    "Conclusion",
    "Smallest detectable effect",
    "Limitations",
)
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\']")


def report_workbook(evidence: Evidence, context: ReportContext) -> bytes:
    """The XLSX appendix: "Read me", "Findings", then one sheet per planned measure."""
    workbook = Workbook()
    _read_me(workbook.active, evidence, context)
    _findings(workbook.create_sheet("Findings"), evidence)
    for index, result in enumerate(evidence.measures, start=1):
        _cells(workbook.create_sheet(sheet_name(index, result.planned.code)), evidence, result)
    for index, result in enumerate(evidence.measures, start=1):
        if result.survival is not None:
            survival_sheet(workbook.create_sheet(sheet_name(index, f"KM {result.planned.code}")), result)
    # Fixed document properties: openpyxl's save_workbook would stamp "modified" with the clock.
    moment = _naive_utc(context.generated_at)
    workbook.properties.creator = "PINE"
    workbook.properties.title = _text(context.title)
    workbook.properties.created = workbook.properties.modified = moment
    buffer = io.BytesIO()
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    return stable_zip(buffer.getvalue())


def sheet_name(index: int, code: str) -> str:
    """A measure's sheet: its position and code, within Excel's 31 characters and allowed marks."""
    return f"{index} {_SHEET_NAME_FORBIDDEN.sub('-', code)}"[:31]


# --- Sheets ------------------------------------------------------------------------------------


def _read_me(sheet: Worksheet, evidence: Evidence, context: ReportContext) -> None:
    sheet.title = "Read me"
    plan = evidence.plan
    if plan.version:
        plan_text = f"Version {plan.version}, " + ("signed off" if plan.signed_off else "not signed off")
    else:
        plan_text = "None yet"
    row = 1
    if evidence.draft:
        sheet.cell(row, 1, _text(DRAFT_NOTICE)).font = DRAFT
        row += 1
    sheet.cell(row, 1, _text(context.title)).font = TITLE
    facts = [
        ("Partner", context.partner_name),
        ("Report version", context.version),
        ("Built", f"{context.generated_at:%-d %B %Y}"),
        ("Evaluation plan", plan_text),
        ("Status", "DRAFT" if evidence.draft else "Built from the signed-off plan"),
        ("Design", context.design_label or "Not yet chosen"),
        ("Data fingerprint (SHA-256)", context.data_checksum),
        ("Analysis code", context.code_version),
        ("Small numbers", suppression_rule(evidence.threshold)),
        ("In the cells", f"{SUPPRESSED} = suppressed to protect small numbers; a blank cell = not sent."),
        (
            "Sheets",
            "Findings: one row per measure in the plan. Then one sheet per measure: every period and group, "
            "as the report shows it.",
        ),
    ]
    for label, value in facts:
        row += 1
        sheet.cell(row, 1, _text(label)).font = BOLD
        sheet.cell(row, 2, _cell(value)).alignment = WRAP
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 100


def _findings(sheet: Worksheet, evidence: Evidence) -> None:
    _header(sheet, 1, FINDINGS_HEADER)
    for row, result in enumerate(evidence.measures, start=2):
        e = result.estimate
        notes = ([f"Not estimable because {e.reason}."] if e.reason else []) + list(e.limitations)
        values = (
            result.name,
            result.planned.code,
            "Primary" if result.planned.role == "primary" else "Secondary (exploratory)",
            UNIT_LABELS.get(result.unit, result.unit),
            e.method,
            e.estimate,
            e.scale,
            e.ci_low,
            e.ci_high,
            e.relative_change,
            CONCLUSION_LABELS[e.conclusion],
            e.smallest_detectable,
            " ".join(notes),
        )
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row, column, _cell(value))
            cell.alignment = WRAP
        for column in (6, 8, 9, 12):
            sheet.cell(row, column).number_format = ESTIMATE_FORMAT
        sheet.cell(row, 10).number_format = PERCENT_FORMAT
    _widths(sheet, (32, 18, 22, 22, 28, 10, 18, 10, 10, 10, 16, 12, 60))
    sheet.freeze_panes = "B2"


def _cells(sheet: Worksheet, evidence: Evidence, result: MeasureResult) -> None:
    """Row 1 the measure, row 2 its unit and the key, row 4 the header, then a row per period and group."""
    sheet.cell(1, 1, _text(result.name)).font = TITLE
    unit = UNIT_LABELS.get(result.unit, result.unit) or "No data has been sent for this measure"
    sheet.cell(2, 1, _text(f"{unit}. {SUPPRESSED} = suppressed to protect small numbers; blank = not sent."))
    _header(sheet, 4, CELL_HEADER)
    frame = evidence.safe.frame
    rows = frame[frame["measure_code"] == result.planned.code]
    order = {group: index for index, group in enumerate(GROUPS)}
    rows = rows.assign(_order=rows["group"].map(order).fillna(len(GROUPS))).sort_values(
        ["period_start", "period_end", "_order", "group"], kind="mergesort"
    )
    value_format = "0" if TABLE_DECIMALS.get(result.unit, 1) == 0 else "0." + "0" * TABLE_DECIMALS.get(result.unit, 1)
    for number, row in enumerate(rows.itertuples(index=False), start=5):
        cells = (
            pd.Timestamp(row.period_start).date(),
            pd.Timestamp(row.period_end).date(),
            GROUP_LABELS.get(row.group, row.group),
            shown(row, "value"),
            shown(row, "numerator"),
            shown(row, "denominator"),
            "Yes" if bool(getattr(row, "approved", True)) else "Not yet",
        )
        for column, value in enumerate(cells, start=1):
            sheet.cell(number, column, _cell(value))
        sheet.cell(number, 1).number_format = sheet.cell(number, 2).number_format = DATE_FORMAT
        sheet.cell(number, 4).number_format = value_format
        sheet.cell(number, 5).number_format = sheet.cell(number, 6).number_format = WHOLE_FORMAT
    _widths(sheet, (13, 13, 16, 12, 12, 13, 10))
    sheet.freeze_panes = "A5"


def shown(row, column: str) -> float | int | str | None:
    """One cell as the safe frame shows it: [c] when hidden, None when not sent, else the number
    (values to the decimals stored and in the results JSON, counts whole)."""
    value = getattr(row, column)
    if pd.isna(value):
        return SUPPRESSED if _hidden(getattr(row, REASON_COLUMNS[column])) else None
    if column == "value":
        return round(float(value), STORED_DECIMALS) + 0.0  # + 0.0: never -0.0
    return int(value)


# --- Helpers -----------------------------------------------------------------------------------


def _hidden(reason) -> bool:
    return reason is not None and not pd.isna(reason)


def _text(value) -> str:
    return neutralised(xml_text(value))


def _cell(value):
    """Numbers stay numbers (a negative number is not a formula); text is neutralised."""
    if value is None or isinstance(value, (int, float, date)):
        return value
    return _text(value)


def _header(sheet: Worksheet, row: int, labels) -> None:
    for column, label in enumerate(labels, start=1):
        cell = sheet.cell(row, column, _text(label))
        cell.font = BOLD
        cell.alignment = WRAP


def _widths(sheet: Worksheet, widths) -> None:
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


def _naive_utc(moment: datetime) -> datetime:
    moment = pd.Timestamp(moment)
    if moment.tzinfo is not None:
        moment = moment.tz_convert("UTC").tz_localize(None)
    return moment.to_pydatetime().replace(microsecond=0)


SURVIVAL_HEADER = ("Group", "Day", "Had the event (%)", "Number at risk")
SURVIVAL_GROUPS_HEADER = ("Group", "Children", "Had the event", "Median (days)", "Median: 95% low", "Median: 95% high")


def survival_sheet(sheet: Worksheet, result: MeasureResult) -> None:
    """A time-to-event measure's Kaplan-Meier curves as the report shows them: each shown group's
    children, events and median, then the disclosed steps only (reports.disclosure.safe_time_to_event)."""
    survival = result.survival
    sheet.cell(1, 1, _text(f"{result.name}: time to the event (Kaplan–Meier)")).font = TITLE
    p = result.estimate.diagnostics.get("log_rank_p")
    sheet.cell(
        2,
        1,
        _text(
            f"Horizon {survival.horizon_days} days. Log-rank test p = {p if p is not None else 'not shown'}. "
            f"{SUPPRESSED} = suppressed to protect small numbers. Steps are shown only where enough children were at "
            "risk and had the event since the step before; smaller steps are merged into the next one shown."
        ),
    )
    _header(sheet, 4, SURVIVAL_GROUPS_HEADER)
    row = 5
    for group in survival.groups:
        label = group.group.capitalize()
        if not group.shown:
            values = (label, SUPPRESSED, SUPPRESSED, SUPPRESSED, SUPPRESSED, SUPPRESSED)
        else:
            values = (
                label,
                SUPPRESSED if group.children is None else group.children,
                SUPPRESSED if group.events is None else group.events,
                group.median_days,
                group.median_ci_low,
                group.median_ci_high,
            )
        for column, value in enumerate(values, start=1):
            sheet.cell(row, column, _cell(value))
        row += 1
    row += 1
    _header(sheet, row, SURVIVAL_HEADER)
    for group in survival.groups:
        for step in group.steps if group.shown else ():
            row += 1
            for column, value in enumerate((group.group.capitalize(), step.days, step.percent_with_event, step.at_risk), start=1):
                sheet.cell(row, column, _cell(value))
            sheet.cell(row, 3).number_format = ESTIMATE_FORMAT
            sheet.cell(row, 4).number_format = WHOLE_FORMAT
    _widths(sheet, (16, 10, 16, 16, 16, 16))
