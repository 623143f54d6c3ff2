"""The report as a Word document: the HTML's sections and wording on Word's heading styles, tables
with header rows, hidden cells as [c], the charts as images, DRAFT on every page of a draft, and
the same bytes for the same evidence (no database)."""

import io
import re
from dataclasses import replace

import docx
import pytest
from docx.oxml.ns import qn

from reports import documents, word
from reports.evidence import evidence_build
from tests.reports.test_documents import chart_renderer, context, report_data  # noqa: F401 (a fixture)
from tests.reports.test_evidence import DID_PLAN


def build(plan=DID_PLAN, **changes):
    evidence = evidence_build(report_data(), plan, threshold=5)
    content = word.report_docx(evidence, context(**changes))
    return content, docx.Document(io.BytesIO(content))


@pytest.fixture
def no_browser(monkeypatch):
    monkeypatch.setattr(documents, "chart_browser", lambda: None)


def headings(document, style):
    return [p.text for p in document.paragraphs if p.style.name == style]


def test_the_document_has_the_sections_of_the_report_on_headings(no_browser):
    _, document = build()
    assert headings(document, "Title") == ["Front door triage"]
    assert headings(document, "Heading 1") == [
        "Contents",
        "Key messages",
        "The practice",
        "The evaluation",
        "The data",
        "Findings: re-referrals",
        "Findings: assessment-days",
        "Limitations",
        "Methods",
        "Appendix: figures by period",
    ]
    text = "\n".join(p.text for p in document.paragraphs)
    messages = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert messages[0].startswith("re-referrals: improved. Difference-in-differences estimate: −")
    assert messages[1].startswith("assessment-days (secondary, exploratory): ")
    for wording in (
        "Evaluation plan: version 2, signed off",
        "Baseline window: 1 April 2023 to 31 March 2024",
        "Multi-agency front door",
        "data.csv (2 Apr 2026)",
        "ab" * 32,
        "Difference-in-differences. The change in the intervention group",
        "Protecting children's privacy. Counts of fewer than 5 children are not shown ([c])",
        "A measure is called improved or worsened only when the 95% confidence interval",
        f"{word.CHART_MISSING} {word.FIGURES_HERE}",  # the primary measure's
        f"{word.CHART_MISSING} {word.FIGURES_ELSEWHERE}",  # the secondary one's, not in this appendix
        "The figures by period printed here are the primary measure's.",
    ):
        assert wording in text, wording
    assert not document.inline_shapes
    assert document.core_properties.title == "Front door triage"


def test_tables_have_header_rows_and_hidden_cells_read_c(no_browser):
    _, document = build()
    for table in document.tables:
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeated on every page
    appendix = document.tables[-1]  # the primary measure's figures by period, the one table of the appendix (as in the PDF)
    assert [c.text for c in appendix.rows[0].cells] == ["Period", "Intervention", "Comparison", "All children"]
    april = next(row for row in appendix.rows if row.cells[0].text.startswith("Apr 2025"))
    assert april.cells[0].text == "Apr 2025 (unapproved)"
    assert april.cells[1].text.startswith("[c] ([c] / ") and april.cells[2].text.startswith("[c] ([c] / ")
    everything = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    for secret in (r"\b8\.1%", r"\(3 /", r"\b53\.2%", r"\(41 /"):
        assert not re.search(secret, everything)


def test_a_draft_says_draft_in_the_header_of_every_page(no_browser):
    _, document = build(plan=replace(DID_PLAN, signed_off=False))
    section = document.sections[0]
    assert section.header.paragraphs[0].text == documents.DRAFT_HEADER
    assert not section.different_first_page_header_footer
    assert document.paragraphs[0].text == documents.DRAFT_NOTICE
    assert document.core_properties.title.startswith("DRAFT: ")
    _, signed = build()
    assert not any(p.text for p in signed.sections[0].header.paragraphs)


def test_the_same_evidence_gives_the_same_bytes(no_browser):
    first, _ = build()
    assert build()[0] == first


def test_text_that_xml_cannot_carry_is_left_out(no_browser):
    _, document = build(partner_name="Smith & Sons\x00\x0b", practice_summary="<b>bold</b>")
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Partner: Smith & Sons\n" in text and "<b>bold</b>" in text


def test_the_charts_are_images_with_their_description(chart_renderer):  # noqa: F811
    _, document = build()
    evidence = evidence_build(report_data(), DID_PLAN, threshold=5)
    expected = [description for result in evidence.measures for _, description in documents.measure_charts(evidence, result)]
    assert documents.EVENT_STUDY_DESCRIPTION in expected  # a difference-in-differences adds its event study
    shapes = document.inline_shapes
    assert [shape._inline.docPr.get("descr") for shape in shapes] == expected
    assert shapes[0]._inline.docPr.get("descr").startswith("Line chart of re-referrals by period")
    blob = document.part.related_parts[shapes[0]._inline.graphic.graphicData.pic.blipFill.blip.embed].blob
    assert blob.startswith(b"\x89PNG")
