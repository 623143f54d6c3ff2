"""The evaluation report: wording, safe outputs, accessibility and the PDF (no database needed)."""

import base64
import os
import re
from datetime import UTC, datetime

import plotly.offline
import pytest

from reports import documents as reporting
from reports.analysis import summarise
from tests.reports.test_analysis import frame

GENERATED_AT = datetime(2026, 4, 2, 9, 30, tzinfo=UTC)  # 10:30 in London (BST)


def report_data():
    """Two measures; in May 2023 the intervention's 3 re-referrals in 37 and 4 entries to care are
    small, so those cells and the comparison's (which the "all" row would give away) are hidden."""
    return frame(
        ("re-referrals", "2023-04", "intervention", 22.0, 22, 100),
        ("re-referrals", "2023-05", "intervention", 3 / 37 * 100, 3, 37),
        ("re-referrals", "2026-03", "intervention", 18.5, 37, 200, False),
        ("re-referrals", "2023-04", "comparison", 25.0, 30, 120),
        ("re-referrals", "2023-05", "comparison", 41 / 77 * 100, 41, 77),
        ("re-referrals", "2026-03", "comparison", 22.0, 33, 150, False),
        ("re-referrals", "2023-04", "all", 52 / 220 * 100, 52, 220),
        ("re-referrals", "2023-05", "all", 44 / 114 * 100, 44, 114),
        ("re-referrals", "2026-03", "all", 20.0, 70, 350, False),
        ("entries", "2023-04", "intervention", 12.0, None, None),
        ("entries", "2023-05", "intervention", 4.0, None, None),
        ("entries", "2026-03", "intervention", 9.0, None, None),
        ("entries", "2023-04", "comparison", 15.0, None, None),
        ("entries", "2023-05", "comparison", 17.0, None, None),
        ("entries", "2026-03", "comparison", 11.0, None, None),
        ("entries", "2023-04", "all", 27.0, None, None),
        ("entries", "2023-05", "all", 21.0, None, None),
        ("entries", "2026-03", "all", 20.0, None, None),
    )


def build(data, **kwargs):
    options = {
        "title": "Front door triage",
        "partner_name": "Northshire County Council",
        "generated_at": GENERATED_AT,
        "threshold": 5,
    }
    return reporting.build_report(data, **{**options, **kwargs})


class PdfSource:
    """Records the HTML handed to WeasyPrint (which still renders it), to read what the PDF says."""

    def __init__(self, monkeypatch):
        self.html = None
        real = reporting.weasyprint.HTML

        def spy(*args, string, **kwargs):
            self.html = string
            return real(*args, string=string, **kwargs)

        monkeypatch.setattr(reporting.weasyprint, "HTML", spy)


@pytest.fixture(scope="module")
def tables_only_report():
    """The report built once, without a browser (fast): HTML, PDF and the PDF's HTML source."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(reporting, "chart_browser", lambda: None)
        pdf_source = PdfSource(monkeypatch)
        stages = []
        files = build(report_data(), progress=lambda pct, stage: stages.append((pct, stage)))
    return files, files.html.decode("utf-8"), pdf_source.html, stages


def body(document: str) -> str:
    """The document without the inlined plotly.js, whose 4.8 MB of code would match anything."""
    return document.replace(plotly.offline.get_plotlyjs(), "")


def appendix_row(document: str, table: int, period: str) -> list[str]:
    """The cells of one period's row in the appendix's `table`-th table (from 0)."""
    appendix = document[document.index('id="appendix"') :]
    html = appendix.split("<table")[table + 1]
    row = re.search(rf'<th scope="row">{re.escape(period)}</th>(.*?)</tr>', html, re.S).group(1)
    return re.findall(r"<td>(.*?)</td>", row)


# --- Key messages ------------------------------------------------------------------------------


def test_key_message_for_a_percentage_speaks_of_percentage_points():
    data = frame(
        ("re-referrals", "2023-04", "intervention", 22.0, 22, 100),
        ("re-referrals", "2026-03", "intervention", 18.5, 37, 200),
    )
    assert reporting.key_messages(summarise(data, threshold=5), threshold=5) == [
        "Re-referrals within 12 months (intervention): 22.0% in Apr 2023 and 18.5% in Mar 2026, "
        "a fall of 3.5 percentage points — an improvement."
    ]


def test_key_message_for_a_rate_speaks_per_10000():
    data = frame(("cp-rate", "2023-04", "all", 40.0, 40, 10_000), ("cp-rate", "2024-03", "all", 45.5, 455, 100_000))
    assert reporting.key_messages(summarise(data, threshold=5), threshold=5) == [
        "Child protection plan rate (all children): 40.0 per 10,000 in Apr 2023 and 45.5 per 10,000 in Mar 2024, "
        "a rise of 5.5 per 10,000 — a worsening."
    ]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param(
            [
                ("assessment-days", "2023-04", "all", 30.0, None, None),
                ("assessment-days", "2023-05", "all", 30.0, None, None),
            ],
            "Assessment duration (all children): 30.0 days in Apr 2023 and 30.0 days in May 2023, no change.",
            id="no-change",
        ),
        pytest.param(
            [("entries", "2023-04", "comparison", 12.0, None, None)],
            "Entries to care (comparison): 12 in Apr 2023; only one period can be shown so far.",
            id="one-period",
        ),
        pytest.param(
            [
                ("entries", "2023-04", "intervention", 2.0, None, None),
                ("entries", "2023-05", "intervention", 3.0, None, None),
            ],
            "Entries to care (intervention): every figure is suppressed because it involves fewer than 5 children.",
            id="all-suppressed",
        ),
        pytest.param(
            [("eet", "2023-04", "all", 50.0, 50, 100), ("eet", "2023-05", "all", 62.0, 62, 100, False)],
            "Care leavers in education, employment or training (all children): 50.0% in Apr 2023 and 62.0% in "
            "May 2023 (unapproved), a rise of 12.0 percentage points — an improvement.",
            id="unapproved-and-higher-is-better",
        ),
    ],
)
def test_key_message_wording(rows, expected):
    data = frame(*rows)
    unapproved = reporting._unapproved_rows(data)
    assert reporting.key_messages(summarise(data, threshold=5), threshold=5, unapproved=unapproved) == [expected]


# --- The HTML document -------------------------------------------------------------------------


def test_html_report_has_the_layout_and_key_messages(tables_only_report):
    _, document, _, _ = tables_only_report
    text = body(document)
    assert "<h1>Front door triage</h1>" in text
    assert "Northshire County Council" in text
    assert "2 April 2026, 10:30" in text  # shown in UK time
    assert (
        "Re-referrals within 12 months (intervention): 22.0% in Apr 2023 and 18.5% in Mar 2026 (unapproved), "
        "a fall of 3.5 percentage points — an improvement." in text
    )
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", text)
    assert headings == [
        "Key messages",
        "Re-referrals within 12 months",
        "Entries to care",
        "Appendix: figures by period",
        "Data status",
    ]
    assert text.count('class="plotly-graph-div"') == 2


def test_html_report_shows_suppressed_cells_as_c_and_never_their_numbers(tables_only_report):
    _, document, _, _ = tables_only_report
    text = body(document)
    assert "[c] = fewer than 5 children, suppressed" in text
    assert appendix_row(text, 0, "May 2023") == ["[c] ([c] / 37)", "[c] ([c] / 77)", "38.6% (44 / 114)"]
    assert appendix_row(text, 1, "May 2023") == ["[c]", "[c]", "21"]
    for secret in ("8.1%", "53.2%", "3 / 37", "41 / 77", "(3 /", "(41 /", ">4<", ">17<"):
        assert secret not in text


def test_html_report_marks_unapproved_periods(tables_only_report):
    _, document, _, _ = tables_only_report
    text = body(document)
    assert '<th scope="row">Mar 2026 (unapproved)</th>' in text
    assert "Re-referrals within 12 months: Mar 2026" in text


def test_html_report_tables_are_captioned_with_scoped_headers(tables_only_report):
    _, document, _, _ = tables_only_report
    text = body(document)
    assert text.count("<table") == text.count("<caption>") == 4  # a summary and an appendix table per measure
    assert not re.search(r"<th\b(?![^>]*\bscope=)", text)
    assert '<html lang="en-GB">' in text


def test_html_report_is_standalone_with_one_copy_of_plotly(tables_only_report):
    files, document, _, _ = tables_only_report
    assert document.count(plotly.offline.get_plotlyjs()) == 1
    text = body(document)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "<link" not in text and "@import" not in text and "url(" not in text
    assert 4_500_000 < len(files.html) < 6_000_000  # plotly.js is most of it


def test_html_report_escapes_text(monkeypatch):
    monkeypatch.setattr(reporting, "chart_browser", lambda: None)
    data = report_data()
    data["measure_name"] = data["measure_name"].str.replace("Entries", "Entries <i>now</i>")
    document = build(data, title='Triage <script>alert("x")</script>', partner_name="Smith & Sons").html.decode()
    text = body(document)
    assert "<script>alert" not in text
    assert "Triage &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    assert "Smith &amp; Sons" in text
    assert "<i>now</i>" not in text


def test_report_calls_progress_at_each_step(tables_only_report):
    _, _, _, stages = tables_only_report
    assert stages == [
        (10, "Summarising"),
        (40, "Drawing charts"),
        (60, "Writing HTML"),
        (70, "Writing PDF"),
        (100, "Done"),
    ]


# --- The PDF -----------------------------------------------------------------------------------


def test_pdf_without_a_browser_carries_the_tables_and_points_to_the_html(tables_only_report):
    files, _, pdf_source, _ = tables_only_report
    assert files.pdf.startswith(b"%PDF")
    assert files.chart_in_pdf is False
    assert pdf_source.count("The chart for this measure is in the HTML version of this report.") == 2
    assert "<script" not in pdf_source
    assert "[c] ([c] / 37)" in pdf_source


def test_report_with_no_data_says_so_plainly(monkeypatch):
    monkeypatch.setattr(reporting, "chart_browser", lambda: None)
    files = build(report_data().iloc[0:0])
    document = files.html.decode()
    assert "No outcome data has been submitted for this evaluation yet" in document
    assert plotly.offline.get_plotlyjs() not in document  # nothing to draw, so no 4.8 MB of library
    assert files.pdf.startswith(b"%PDF")
    assert files.chart_in_pdf is False


@pytest.fixture(scope="session")
def chart_renderer():
    """kaleido's shared browser, started once for the session (else ~4 s per report)."""
    if reporting.chart_browser() is None:
        if os.environ.get("CI"):
            pytest.fail("No Chromium: the PDF chart test must run in CI")
        pytest.skip("No Chrome/Chromium on this machine")
    assert reporting.start_chart_renderer()
    assert reporting.start_chart_renderer()  # a second call is harmless


def test_pdf_carries_the_charts_when_a_browser_exists(chart_renderer, monkeypatch):
    pdf_source = PdfSource(monkeypatch)
    files = build(report_data())
    assert files.chart_in_pdf is True
    assert files.pdf.startswith(b"%PDF")
    images = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="Line chart of ([^"]+?) by period', pdf_source.html)
    assert [name for _, name in images] == ["Re-referrals within 12 months", "Entries to care"]
    svg = base64.b64decode(images[0][0]).decode()
    assert svg.startswith("<svg") and "Re-referrals within 12 months" in svg


def test_start_chart_renderer_without_a_browser_does_nothing(monkeypatch):
    monkeypatch.setattr(reporting, "_renderer_started", False)
    monkeypatch.setattr(reporting, "chart_browser", lambda: None)
    assert reporting.start_chart_renderer() is False
    assert reporting._renderer_started is False
