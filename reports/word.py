"""The report as a Word document, for the partner to edit before it goes to their board.

The same sections and wording as the HTML and PDF (`reports.documents.report_sections` words them
once), laid out in plain GOV.UK-like styles: Arial, black text, bold headings on Word's heading
styles (so the navigation pane and a table of contents work), tables with a repeating header row.
Charts are PNG images drawn by kaleido like the PDF's; with no browser the tables carry the figures
and a note says so. A report from a draft plan says DRAFT in the header of every page.
"""

from __future__ import annotations

import io
from datetime import UTC

import pandas as pd
from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.table import Table

from reports.documents import Chart, ReportContext, report_charts, report_sections
from reports.evidence import Evidence
from reports.ooxml import stable_zip, xml_text

FONT = "Arial"
BLACK = RGBColor(0x0B, 0x0C, 0x0C)
GREY = RGBColor(0x50, 0x5A, 0x5F)
RED = RGBColor(0xD4, 0x35, 0x1C)
CHART_WIDTH = Cm(16)
# Heading sizes in points, as the PDF's: the title, sections (level 1), parts of a section (level 2).
HEADING_SIZES = {"Title": 24, "Heading 1": 16, "Heading 2": 13}
CHART_MISSING = "The chart for this measure is in the HTML and PDF versions of this report."
FIGURES_HERE = "The figures are in the appendix."
FIGURES_ELSEWHERE = "The figures are in the HTML version's appendix and the spreadsheet appendix."  # a secondary measure's
CONTENTS_PLACEHOLDER = "To list the sections with their page numbers, right-click here and choose Update Field."
THEORY_ELSEWHERE = "The theory of change diagram is in the HTML and PDF versions of this report."


def report_docx(
    evidence: Evidence, context: ReportContext, *, charts: list[list[Chart]] | None = None, sections: dict | None = None
) -> bytes:
    """The Word document. Deterministic but for the chart images, which the browser draws.
    `charts` are `reports.documents.report_charts(evidence)`, the PDF's pictures (drawn here if not given);
    `sections` are `report_sections(evidence, context)` (worded here if not given)."""
    if sections is None:
        sections = report_sections(evidence, context)
    if charts is None:
        charts = report_charts(evidence)
    drawn = all(chart.png is not None for figures in charts for chart in figures)
    document = Document()
    _styles(document)
    _page(document, sections)
    _front(document, sections)
    _key_messages(document, sections)
    _practice(document, sections)
    _evaluation(document, sections)
    _data(document, sections)
    for measure, figures in zip(sections["measures"], charts):
        _finding(document, measure, [(chart.png, chart.description) for chart in figures] if drawn else [])
    _limitations(document, sections)
    _methods(document, sections)
    _appendix(document, sections)

    properties = document.core_properties
    properties.title = _text(("DRAFT: " if sections["draft"] else "") + context.title)
    properties.author = properties.last_modified_by = "PINE"
    properties.revision = 1
    moment = pd.Timestamp(context.generated_at)
    moment = (moment.tz_convert(UTC) if moment.tzinfo else moment.tz_localize(UTC)).to_pydatetime().replace(microsecond=0)
    properties.created = properties.modified = moment
    buffer = io.BytesIO()
    document.save(buffer)
    return stable_zip(buffer.getvalue())


# --- Sections ----------------------------------------------------------------------------------


def _front(document, sections: dict) -> None:
    report, plan = sections["report"], sections["plan"]
    if sections["draft"]:
        _paragraph(document, sections["draft_notice"], bold=True, colour=RED)
    document.add_heading(_text(report.title), 0)
    if plan.version:
        plan_text = f"version {plan.version}, " + ("signed off" if plan.signed_off else "not signed off")
    else:
        plan_text = "none yet"
    _fact(document, "Partner: ", report.partner_name)
    _fact(document, "Report version: ", f"{report.version}, built {report.generated_at:%-d %B %Y}")
    _fact(document, "Evaluation plan: ", plan_text)
    document.add_heading("Contents", 1)
    _contents(document)


def _key_messages(document, sections: dict) -> None:
    document.add_heading("Key messages", 1)
    _bullets(document, sections["key_messages"] or ["The plan names no measures yet."])
    if narrative := sections["narrative"]:  # as the HTML and PDF: under PINE's messages, before the rule
        document.add_heading(_text(narrative["heading"]), 2)
        _paragraph(document, narrative["hint"], colour=GREY)
        for lines in narrative["paragraphs"]:
            paragraph = document.add_paragraph(style="Quote")
            for number, line in enumerate(lines):
                if number:
                    paragraph.add_run().add_break()
                paragraph.add_run(_text(line))
    _paragraph(document, sections["conclusion_rule"], colour=GREY)


def _practice(document, sections: dict) -> None:
    report = sections["report"]
    document.add_heading("The practice", 1)
    if report.practice_title:
        document.add_heading(_text(report.practice_title), 2)
    if report.practice_summary:
        _paragraph(document, report.practice_summary)
    if report.children_description:
        _fact(document, "Children and families: ", report.children_description)
    if not report.practice_summary and not report.practice_title:
        _paragraph(document, "The application did not describe the practice.")
    if sections["theory_svg"]:
        document.add_heading("Theory of change", 1)
        _paragraph(document, THEORY_ELSEWHERE)


def _evaluation(document, sections: dict) -> None:
    report, plan, windows = sections["report"], sections["plan"], sections["windows"]
    document.add_heading("The evaluation", 1)
    _fact(document, "Questions: ", plan.research_questions or "Not yet stated")
    _fact(document, "Design: ", report.design_label or "Not yet chosen")
    if windows:
        _fact(document, "Intervention start: ", windows["intervention_start"])
        _fact(document, "Baseline window: ", windows["baseline"])
        _fact(document, "Follow-up window: ", windows["follow_up"])
        _fact(document, "The intervention's data: ", windows["intervention_rows"])
        if windows["comparison_rows"]:
            _fact(document, "The comparison's data: ", windows["comparison_rows"])
    if plan.comparison:
        _fact(document, "Comparison group: ", plan.comparison)
    if plan.comparison_how_chosen:
        _fact(document, "How it was chosen: ", plan.comparison_how_chosen)
    _table(
        document,
        "Measures in the plan",
        ["Measure", "Role", "Expected change", "Unit"],
        [
            [
                m["name"],
                "Primary" if m["primary"] else "Secondary (exploratory)",
                m["expected"],
                f"{m['unit_label']}. {m['better']}.",
            ]
            for m in sections["measures"]
        ],
    )
    if sections["unplanned"]:
        _paragraph(
            document,
            f"Data was also sent for measures the plan does not name ({', '.join(sections['unplanned'])}); "
            "this report leaves them out.",
            colour=GREY,
        )


def _data(document, sections: dict) -> None:
    report = sections["report"]
    document.add_heading("The data", 1)
    rows = [
        [p["label"], p["window"], f"{p['measures']} of {p['of']}", "Yes" if p["approved"] else "Not yet"]
        for p in sections["data"]["periods"]
    ]
    _table(
        document,
        "Periods with data, by window, and their approval",
        ["Period", "Window", "Measures with data", "Approved by the practice team"],
        rows or [["No data for the plan's measures yet.", "", "", ""]],
    )
    if report.submissions:
        _paragraph(document, f"The data came from these uploads: {'; '.join(report.submissions)}.")
    _paragraph(
        document,
        f"Data fingerprint (SHA-256): {report.data_checksum}. Analysis code: {report.code_version}. "
        "Building this version again gives the same results.",
        colour=GREY,
    )


def _finding(document, measure: dict, charts: list[tuple[bytes, str]]) -> None:
    """The measure's finding and its charts (PNG and description; none without a browser)."""
    _page_break(document)
    document.add_heading(_text(f"Findings: {measure['name']}"), 1)
    role = "Primary measure" if measure["primary"] else "Secondary measure: exploratory"
    _paragraph(document, f"{role}. {measure['unit_label']}. {measure['better']}. {measure['expected']}.", colour=GREY)
    _paragraph(document, measure["conclusion_label"], bold=True)
    _paragraph(document, measure["message"])
    for label, key in (
        ("Method: ", "method"),
        ("Estimate: ", "estimate"),
        ("95% confidence interval: ", "interval"),
        ("Relative change: ", "relative"),
    ):
        if measure[key]:
            _fact(document, label, measure[key])
    if measure["detectable"]:
        _paragraph(document, measure["detectable"], colour=GREY)
    if not charts:
        _paragraph(document, f"{CHART_MISSING} {FIGURES_HERE if measure['primary'] else FIGURES_ELSEWHERE}")
    for image, description in charts:
        picture = document.add_picture(io.BytesIO(image), width=CHART_WIDTH)
        picture._inline.docPr.set("descr", _text(description))  # the alternative text
        _paragraph(document, description, colour=GREY)
    if measure.get("survival"):
        _survival(document, measure)
    if measure["limitations"]:
        document.add_heading("What to bear in mind", 2)
        _bullets(document, measure["limitations"])


def _survival(document, measure: dict) -> None:
    """A time-to-event measure's groups, log-rank test and numbers at risk (as the HTML shows them)."""
    survival = measure["survival"]
    log_rank = f" (log-rank test of the whole curves: {survival['log_rank']})" if survival["log_rank"] else ""
    _table(
        document,
        f"{measure['name']}: time to the event by group{log_rank}",
        ["Group", "Children", "Had the event", "Median time", "95% interval of the median (days)"],
        [[g["label"], g["children"], g["events"], g["median"], g["interval"]] for g in survival["groups"]]
        or [["No child-level rows with start dates for this measure.", "", "", "", ""]],
    )
    table = survival["at_risk"]
    if table["steps"]:
        more = " (all its steps are in the spreadsheet)" if len(table["steps"]) < table["all_steps"] else ""
        _table(
            document,
            f"{measure['name']}: the percentage who had the event, and the number still at risk, at the chart's last step "
            f"on or before every {table['spacing']} days{more}",
            ["Group", "Day", "Had the event by then", "Number at risk"],
            [[step["group"], step["days"], step["percent"], step["at_risk"]] for step in table["steps"]],
        )


def _limitations(document, sections: dict) -> None:
    document.add_heading("Limitations", 1)
    if sections["limitations"]:
        _bullets(document, sections["limitations"])
    else:
        _paragraph(document, "The diagnostics raised no concerns.")
    _paragraph(document, sections["general_limitation"])


def _methods(document, sections: dict) -> None:
    document.add_heading("Methods", 1)
    for lead, text in sections["methods"]:
        paragraph = document.add_paragraph()
        if lead:
            paragraph.add_run(_text(lead + " ")).bold = True
        paragraph.add_run(_text(text))


def _appendix(document, sections: dict) -> None:
    _page_break(document)
    document.add_heading("Appendix: figures by period", 1)
    if sections["primary_appendix_note"]:
        _paragraph(document, sections["primary_appendix_note"])
    _paragraph(document, "[c] = suppressed to protect small numbers; – = not sent.", colour=GREY)
    for measure in (m for m in sections["measures"] if m["primary"]):  # as in the PDF (primary_appendix_note)
        counts = ", with numerator / denominator in brackets" if measure["appendix_has_counts"] else ""
        counts += f"; {measure['appendix_note']}" if measure["appendix_note"] else ""
        rows = [
            [row["label"] + (" (unapproved)" if row["unapproved"] else ""), *row["cells"]] for row in measure["appendix_rows"]
        ]
        _table(
            document,
            f"{measure['name']} by period ({measure['unit_label']}){counts}",
            ["Period", *measure["appendix_groups"]],
            rows or [["No data."]],
        )


# --- Layout ------------------------------------------------------------------------------------


def _styles(document) -> None:
    """Arial throughout, black text, bold black headings (the template's are blue, in the theme font)."""
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Caption", "List Bullet", "Quote", "Header", "Footer"):
        style = document.styles[name]
        style.font.name = FONT
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attribute), None)  # a theme font would win over Arial
        style.font.color.rgb = BLACK
    document.styles["Normal"].font.size = Pt(11)
    for name, size in HEADING_SIZES.items():
        style = document.styles[name]
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.italic = False
    caption = document.styles["Caption"]
    caption.font.size, caption.font.bold, caption.font.italic = Pt(10), True, False
    caption.paragraph_format.space_before = Pt(12)  # apart from the table above it
    caption.paragraph_format.keep_with_next = True


def _page(document, sections: dict) -> None:
    """A4 with the PDF's margins; DRAFT in the header of every page of a draft; page numbers."""
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = Mm(18), Mm(20), Mm(16), Mm(16)
    if sections["draft"]:
        header = section.header.paragraphs[0]
        run = header.add_run(_text(sections["draft_header"]))
        run.bold, run.font.color.rgb = True, RED
    footer = section.footer.paragraphs[0]
    footer.add_run("Page ")
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")


def _contents(document) -> None:
    """Word's table of contents field (sections and page numbers), filled in when Word updates it."""
    paragraph = document.add_paragraph()
    _field(
        paragraph,
        'TOC \\o "1-1" \\h \\z \\u',
        "To list the sections with their page numbers, right-click here and choose Update Field.",
    )


def _field(paragraph, instruction: str, placeholder: str = "1") -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = placeholder
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _table(document, caption: str, header: list[str], rows: list[list[str]]) -> Table:
    """A captioned table whose first row is its header, repeated on every page it runs over."""
    document.add_paragraph(_text(caption), style="Caption")
    table = document.add_table(rows=1 + len(rows), cols=len(header))
    table.style = "Table Grid"
    for row, values in zip(table.rows, [header, *rows]):
        for cell, value in zip(row.cells, values):
            cell.text = _text(value)
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))  # a row stays on one page
    for cell in table.rows[0].cells:
        for run in cell.paragraphs[0].runs:
            run.bold = True
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(repeat)
    return table


def _paragraph(document, text: str, *, bold: bool = False, colour: RGBColor | None = None):
    paragraph = document.add_paragraph()
    run = paragraph.add_run(_text(text))
    run.bold = bold
    if colour is not None:
        run.font.color.rgb = colour
    return paragraph


def _fact(document, label: str, value) -> None:
    paragraph = document.add_paragraph()
    paragraph.add_run(_text(label)).bold = True
    paragraph.add_run(_text(value))


def _bullets(document, lines) -> None:
    for line in lines:
        document.add_paragraph(_text(line), style="List Bullet")


def _page_break(document) -> None:
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _text(value) -> str:
    return xml_text(value)
