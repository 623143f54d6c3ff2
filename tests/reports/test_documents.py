"""The evaluation report document: its sections, wording, safe cells, DRAFT marking, accessibility,
size and the PDF (no database needed)."""

import inspect
import io
import os
import re
import struct
import zlib
from dataclasses import replace
from datetime import UTC, datetime

import docx
import kaleido
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.offline
import pytest
from PIL import Image

from reports import documents as reporting
from reports import estimates
from reports.evidence import MeasureResult, PlannedMeasure, evidence_build
from tests.reports.test_estimates import BASE_N, BASE_X, MONTHS, POST_N, POST_X, frame
from tests.reports.test_evidence import DID_PLAN, did_frame

GENERATED_AT = datetime(2026, 4, 2, 9, 30, tzinfo=UTC)


def report_data():
    """The two-measure difference-in-differences panel, plus a month in which the intervention's 3
    re-referrals in 37 are small: hidden, with what would give them away."""
    data = did_frame()
    extra = frame(
        "re-referrals",
        [
            (MONTHS[-1] + MONTHS.freq, "intervention", 3 / 37 * 100, 3, 37),
            (MONTHS[-1] + MONTHS.freq, "comparison", 41 / 77 * 100, 41, 77),
            (MONTHS[-1] + MONTHS.freq, "all", 44 / 114 * 100, 44, 114),
        ],
    )
    data = data.assign(approved=True)
    return __import__("pandas").concat([data, extra.assign(approved=False)], ignore_index=True)


def context(**changes):
    return replace(
        reporting.ReportContext(
            title="Front door triage",
            partner_name="Northshire County Council",
            version=3,
            generated_at=GENERATED_AT,
            plan_version=2,
            design_label="Comparison group (difference-in-differences)",
            practice_title="Multi-agency front door",
            practice_summary="Social workers, police and health triage contacts together.",
            submissions=("data.csv (2 Apr 2026)",),
            data_checksum="ab" * 32,
            code_version="0.1.0+analysis.test",
            plotly_js_url="https://pine.example/assets/plotly-6.0.0.min.js",
        ),
        **changes,
    )


def build(data=None, plan=DID_PLAN, progress=lambda pct, stage: None, **changes):
    evidence = evidence_build(report_data() if data is None else data, plan, threshold=5)
    return reporting.build_report(evidence, context(**changes), progress=progress)


class PdfSource:
    """Records the HTML handed to WeasyPrint (which still renders it), to read what the PDF says."""

    def __init__(self, monkeypatch):
        self.html = None
        real = reporting.ReportHTML

        def spy(*args, string, **kwargs):
            self.html = string
            return real(*args, string=string, **kwargs)

        monkeypatch.setattr(reporting, "ReportHTML", spy)


@pytest.fixture(scope="module")
def tables_only_report():
    """The report built once, without a browser (fast): files, HTML and the PDF's HTML source."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(reporting, "chart_browser", lambda: None)
        pdf_source = PdfSource(monkeypatch)
        files = build()
    return files, files.html.decode("utf-8"), pdf_source.html


def appendix_row(document: str, table: int, period: str) -> list[str]:
    """The cells of one period's row in the appendix's `table`-th table (from 0)."""
    appendix = document[document.index('id="appendix"') :]
    html = appendix.split("<table")[table + 1]
    row = re.search(rf'<th scope="row">{re.escape(period)}[^<]*</th>(.*?)</tr>', html, re.S).group(1)
    return re.findall(r"<td>(.*?)</td>", row)


# --- Key messages ------------------------------------------------------------------------------


def result(conclusion, estimate=None, low=None, high=None, role="primary", reason=""):
    return MeasureResult(
        planned=PlannedMeasure("re-referrals", "decrease", role),
        name="Re-referrals within 12 months",
        unit="percentage",
        polarity="lower",
        estimate=estimates.Estimate(
            design="did",
            measure_code="re-referrals",
            method="Difference-in-differences",
            conclusion=conclusion,
            estimate=estimate,
            ci_low=low,
            ci_high=high,
            scale="percentage points",
            reason=reason,
        ),
    )


@pytest.mark.parametrize(
    "measure, expected",
    [
        (
            result("improved", -5.4, -5.7, -5.0),
            "Re-referrals within 12 months: improved. Difference-in-differences estimate: −5.4 percentage points "
            "(95% confidence interval −5.7 to −5.0).",
        ),
        (
            result("no clear change", -0.3, -2.1, 1.5, role="secondary"),
            "Re-referrals within 12 months (secondary, exploratory): no clear change. Difference-in-differences "
            "estimate: −0.3 percentage points (95% confidence interval −2.1 to +1.5); the interval includes no change.",
        ),
        (
            result("not estimable", reason="the baseline window has no periods"),
            "Re-referrals within 12 months: not estimable, because the baseline window has no periods.",
        ),
    ],
)
def test_key_messages_state_the_conclusion_with_the_estimate_and_its_interval(measure, expected):
    assert reporting.key_message(measure) == expected


def test_a_process_control_message_speaks_of_signals_not_an_interval():
    spc = result("improved", -9.6)
    spc = replace(spc, estimate=replace(spc.estimate, design="spc"))
    assert reporting.key_message(spc) == (
        "Re-referrals within 12 months: improved: special-cause variation in the better direction after the baseline; "
        "the mean after the baseline is −9.6 percentage points from the baseline's centre line."
    )


def test_an_interrupted_time_series_chart_draws_the_fitted_segments_and_the_counterfactual():
    plan = replace(DID_PLAN, design="its", measures=(PlannedMeasure("re-referrals", "decrease", "primary"),))
    evidence = evidence_build(report_data(), plan, threshold=5)
    assert evidence.measures[0].estimate.design == "controlled_its"  # the comparison series is there
    names = [trace["name"] for trace in reporting.measure_figure(evidence, evidence.measures[0])["data"]]
    assert "Fitted segments" in names and "Had nothing changed (counterfactual)" in names


# --- The HTML document -------------------------------------------------------------------------


def test_the_report_has_the_sections_a_board_reads(tables_only_report):
    _, document, _ = tables_only_report
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", document)
    assert headings == [
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
    assert "<h1>Front door triage</h1>" in document and "Northshire County Council" in document
    assert "version 2, signed off" in document and "Difference-in-differences." in document
    assert "1 April 2023 to 31 March 2024" in document  # the baseline window as signed off
    assert "Multi-agency front door" in document and "data.csv (2 Apr 2026)" in document
    assert "ab" * 32 in document and "0.1.0+analysis.test" in document
    assert document.count('class="plotly-graph-div"') == 3  # each measure's chart; an event study where values are shown
    for section in ("key-messages", "practice", "evaluation", "data", "measure-1", "limitations", "methods", "appendix"):
        assert f'href="#{section}"' in document  # in the contents


def test_findings_follow_the_plan_primary_first_and_secondary_labelled_exploratory(tables_only_report):
    _, document, _ = tables_only_report
    key = document[document.index('id="key-messages"') : document.index('id="practice"')]
    messages = re.findall(r"<li>(.*?)</li>", key)
    assert messages[0].startswith("re-referrals: improved. Difference-in-differences estimate: −")
    assert messages[1].startswith("assessment-days (secondary, exploratory): ")
    assert "first" not in key.lower() and "latest" not in key.lower()


def test_suppressed_cells_show_as_c_and_never_their_numbers(tables_only_report):
    _, document, _ = tables_only_report
    row = appendix_row(document, 0, "Apr 2025")
    assert row[0].startswith("[c] ([c] / ")
    assert row[1].startswith("[c] ([c] / ")  # else "all" minus comparison would give the 3
    for secret in (r"\b8\.1%", r"\(3 /", r"\b53\.2%", r"\(41 /"):
        assert not re.search(secret, document)


def test_unapproved_periods_are_marked_and_stated_as_a_limitation(tables_only_report):
    _, document, _ = tables_only_report
    assert '<th scope="row">Apr 2025 (unapproved)</th>' in document
    assert "Some periods have not yet been approved by the practice team" in document


def test_tables_are_captioned_with_scoped_headers_and_the_page_has_a_language(tables_only_report):
    _, document, _ = tables_only_report
    assert document.count("<table") == document.count("<caption>")
    assert not re.search(r"<th\b(?![^>]*\bscope=)", document)
    assert '<html lang="en-GB">' in document


def test_the_html_loads_plotly_from_pine_and_stays_small(tables_only_report):
    files, document, _ = tables_only_report
    assert plotly.offline.get_plotlyjs()[:2000] not in document
    assert '<script src="https://pine.example/assets/plotly-6.0.0.min.js"></script>' in document
    assert len(files.html) < 500_000


def test_a_report_from_a_draft_plan_says_draft_on_every_page(monkeypatch):
    monkeypatch.setattr(reporting, "chart_browser", lambda: None)
    pdf_source = PdfSource(monkeypatch)
    files = build(plan=replace(DID_PLAN, signed_off=False))
    document = files.html.decode()
    assert "<title>DRAFT: " in document and 'class="draft"' in document
    assert '@top-center { content: "DRAFT' in pdf_source.html  # the running header of every PDF page
    assert "not signed off, so its findings are provisional" in document


def test_text_is_escaped(monkeypatch):
    monkeypatch.setattr(reporting, "chart_browser", lambda: None)
    files = build(title='Triage <script>alert("x")</script>', partner_name="Smith & Sons", practice_summary="<b>bold</b>")
    document = files.html.decode()
    assert "<script>alert" not in document and "<b>bold</b>" not in document
    assert "Triage &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in document
    assert "Smith &amp; Sons" in document


def test_the_build_reports_its_progress(monkeypatch):
    monkeypatch.setattr(reporting, "chart_browser", lambda: None)
    stages = []
    build(progress=lambda pct, stage: stages.append((pct, stage)))
    assert stages == [(50, "Drawing charts"), (60, "Writing HTML"), (70, "Laying out the PDF"), (85, "Writing PDF")]


@pytest.mark.parametrize("design", ["did", "its", "spc", "pre_post"])
def test_every_chart_is_a_valid_plotly_figure(design):
    """The charts are built as plotly's plain data, unchecked when drawn: plotly's own validation
    accepts every one (a wrong property name would raise)."""
    evidence = evidence_build(report_data(), replace(DID_PLAN, design=design), threshold=5)
    for per_measure in reporting.report_figures(evidence):
        for figure, description in per_measure:
            go.Figure(figure)
            assert figure["layout"]["title"]["text"] and description


def test_chart_values_carry_no_more_decimals_than_the_tables():
    evidence = evidence_build(report_data(), DID_PLAN, threshold=5)
    figure = reporting.measure_figure(evidence, evidence.measures[0])
    for trace in figure["data"]:
        for y in trace["y"]:
            assert y is None or round(y, 1) == y
    assert "y:,.1f" in figure["data"][0]["hovertemplate"]


# --- The PDF -----------------------------------------------------------------------------------


def test_pdf_without_a_browser_carries_the_tables_and_points_to_the_html(tables_only_report):
    files, _, pdf_source = tables_only_report
    assert files.pdf.startswith(b"%PDF") and files.chart_in_pdf is False
    assert pdf_source.count("The chart for this measure is in the HTML version of this report.") == 3
    assert "<script" not in pdf_source
    assert "target-counter(attr(href), page)" in pdf_source  # page numbers in the contents
    assert 'counter(page) " of " counter(pages)' in pdf_source


def test_the_pdfs_appendix_gives_the_primary_measures_tables_and_says_where_the_others_are(tables_only_report):
    _, document, pdf_source = tables_only_report
    captions = re.compile(r"<caption>(\S+) by period")
    html_appendix, pdf_appendix = (source[source.index('id="appendix"') :] for source in (document, pdf_source))
    assert captions.findall(html_appendix) == ["re-referrals", "assessment-days"]  # every measure's
    assert captions.findall(pdf_appendix) == ["re-referrals"]  # the primary measure's
    assert "The figures by period printed here are the primary measure&#x27;s." in pdf_appendix
    assert "printed here" not in document
    # The secondary measure's chart says where its figures are, in every document.
    secondary = pdf_source[pdf_source.index('id="measure-2"') : pdf_source.index('id="limitations"')]
    assert "The figures are in its appendix and the spreadsheet appendix." in secondary
    assert (
        "The figures are in the appendix." in pdf_source[pdf_source.index('id="measure-1"') : pdf_source.index('id="measure-2"')]
    )


def test_the_printed_appendix_note_follows_the_plans_primary_measures():
    def measures(*roles):
        return [{"primary": role == "primary"} for role in roles]

    assert reporting.primary_appendix_note(measures()) == ""
    assert reporting.primary_appendix_note(measures("primary", "primary")) == ""
    assert reporting.primary_appendix_note(measures("primary", "primary", "secondary")).startswith(
        "The figures by period printed here are the primary measures'."
    )
    assert reporting.primary_appendix_note(measures("secondary")).startswith("The plan names no primary measure")


@pytest.fixture(scope="session")
def chart_renderer():
    """kaleido's shared browser, started once for the session (else ~4 s per report)."""
    if reporting.chart_browser() is None:
        if os.environ.get("CI"):
            pytest.fail("No Chromium: the PDF chart test must run in CI")
        pytest.skip("No Chrome/Chromium on this machine")
    assert reporting.start_chart_renderer()
    assert reporting.start_chart_renderer()  # a second call is harmless


def idat(png: bytes) -> bytes:
    """A PNG's compressed pixels (its IDAT chunks), which a PDF carries as they are for an 8-bit RGB picture."""
    chunks, at = [], 8
    while at < len(png):
        length, kind = struct.unpack(">I4s", png[at : at + 8])
        if kind == b"IDAT":
            chunks.append(png[at + 8 : at + 8 + length])
        at += 12 + length
    return b"".join(chunks)


def test_pdf_carries_the_charts_when_a_browser_exists(chart_renderer, monkeypatch):
    pdf_source = PdfSource(monkeypatch)
    drawn = []
    real = reporting.draw_charts
    monkeypatch.setattr(reporting, "draw_charts", lambda figures: drawn.append(real(figures)) or drawn[-1])
    files = build()
    assert files.chart_in_pdf is True and files.pdf.startswith(b"%PDF")
    names = re.findall(r'<img src="pine-chart:\d+" alt="Line chart of ([^"]+?) by period', pdf_source.html)
    assert names == ["re-referrals", "assessment-days"]
    assert pdf_source.html.count('alt="Chart of the difference between the intervention and the comparison') == 1
    assert "data:" not in pdf_source.html  # the pictures are fetched by name, not carried in the HTML
    pictures = [chart.png for per_measure in drawn[0] for chart in per_measure]
    assert len(pictures) == 3
    for png in pictures:
        width, height, depth, colour = struct.unpack(">IIBB", png[16:26])  # the PNG header
        assert png.startswith(b"\x89PNG") and (width, height) == (1600, 840)  # high resolution for print
        assert (depth, colour) == (8, 2)  # 8-bit RGB: no alpha channel for WeasyPrint to split off
        assert idat(png) in files.pdf  # the drawn picture, in the place laid out for it


def test_a_pdf_laid_out_before_its_charts_are_drawn_is_the_pdf_laid_out_with_them(chart_renderer):
    """The PDF is laid out with blank pictures while the browser draws; the drawn pictures then take
    their places. The file is the very one laid out with the pictures from the start."""
    evidence = evidence_build(report_data(), DID_PLAN, threshold=5)
    sections = reporting.report_sections(evidence, context())
    figures = reporting.report_figures(evidence)
    charts = reporting.draw_charts(figures)
    with_pictures, drawn = reporting.report_pdf(sections, charts)
    ahead, drawn_ahead = reporting.report_pdf(sections, charts, layout=reporting.pdf_layout(sections, figures))
    assert drawn and drawn_ahead and ahead == with_pictures
    assert all(idat(chart.png) in ahead for per_measure in charts for chart in per_measure)


def test_a_picture_that_does_not_fit_its_place_is_laid_out_again(chart_renderer, caplog):
    evidence = evidence_build(report_data(), DID_PLAN, threshold=5)
    sections = reporting.report_sections(evidence, context())
    figures = reporting.report_figures(evidence)
    charts = reporting.draw_charts(figures)
    small = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(small, format="PNG")
    charts[0][0] = replace(charts[0][0], png=small.getvalue())
    pdf, drawn = reporting.report_pdf(sections, charts, layout=reporting.pdf_layout(sections, figures))
    assert drawn and pdf == reporting.report_pdf(sections, charts)[0]
    assert "laid out again" in caplog.text


def test_the_pdf_takes_an_rgb_pictures_pixels_as_they_are_and_others_as_weasyprint_does():
    """WeasyPrint decodes and compresses every PNG again; PINE's override hands it an 8-bit RGB PNG's
    compressed rows as they are. It must still be the method WeasyPrint calls."""
    import weasyprint.images

    assert "._get_png_data(" in inspect.getsource(weasyprint.images.RasterImage.get_x_object)
    assert weasyprint.images.RasterImage._get_png_data is reporting._png_stream
    picture = Image.effect_noise((64, 48), 60).convert("RGB")
    png = io.BytesIO()
    picture.save(png, format="PNG")
    png = png.getvalue()
    stream = reporting._png_stream(Image.open(io.BytesIO(png)))
    assert stream == idat(png)
    assert _unfiltered(zlib.decompress(stream), 64, 3) == picture.tobytes()  # the picture's pixels, each row filtered
    with_alpha = io.BytesIO()
    picture.convert("RGBA").save(with_alpha, format="PNG")
    alpha_image = Image.open(io.BytesIO(with_alpha.getvalue()))
    assert reporting._png_stream(alpha_image) == reporting._weasyprint_png_stream(Image.open(io.BytesIO(with_alpha.getvalue())))


def _unfiltered(rows: bytes, width: int, channels: int) -> bytes:
    """PNG rows (each a filter byte then its bytes) undone to the pixels' bytes (PNG specification, section 9)."""
    stride, out, previous = width * channels, bytearray(), bytearray(width * channels)
    for at in range(0, len(rows), stride + 1):
        kind, line = rows[at], bytearray(rows[at + 1 : at + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) % 256
            elif kind == 2:
                line[i] = (line[i] + up) % 256
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) % 256
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) % 256
        out += line
        previous = line
    return bytes(out)


def test_a_browsers_picture_is_put_on_white_without_its_alpha_channel():
    opaque = Image.effect_noise((40, 30), 50).convert("RGBA")
    png = io.BytesIO()
    opaque.save(png, format="PNG")
    flat = Image.open(io.BytesIO(reporting.opaque_png(png.getvalue())))
    assert flat.mode == "RGB" and flat.tobytes() == opaque.convert("RGB").tobytes()
    see_through = io.BytesIO()
    Image.new("RGBA", (4, 4), (255, 0, 0, 0)).save(see_through, format="PNG")
    assert Image.open(io.BytesIO(reporting.opaque_png(see_through.getvalue()))).getpixel((0, 0)) == (255, 255, 255)


@pytest.mark.parametrize("height, width", [(1, 1), (3, 7), (840, 1600)])
def test_an_rgb_png_reads_back_as_its_pixels_with_sound_checksums(height, width):
    pixels = np.random.default_rng(height).integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    png = reporting.rgb_png(pixels)
    Image.open(io.BytesIO(png)).verify()  # every chunk's CRC
    image = Image.open(io.BytesIO(png))
    assert (image.format, image.mode, image.size) == ("PNG", "RGB", (width, height))
    assert np.array_equal(np.asarray(image), pixels)


def test_the_pdf_fetches_only_its_charts():
    fetcher = reporting._Pictures({"pine-chart:0": b"png"})
    assert fetcher.fetch("pine-chart:0").read() == b"png"
    for address in ("file:///etc/passwd", "http://169.254.169.254/", "pine-chart:1"):
        with pytest.raises(ValueError):
            fetcher.fetch(address)


def test_the_pdf_leaves_out_only_weasyprints_rules_for_footnotes_and_notes():
    """They name no element, so WeasyPrint gave every element five pseudo-elements' styles; a report
    has no footnotes. The override must still be the method WeasyPrint calls."""
    import weasyprint.css
    import weasyprint.html

    assert "._ua_stylesheets(" in inspect.getsource(weasyprint.css.get_all_computed_styles)
    sheets = reporting.ReportHTML(string="<p>x</p>")._ua_stylesheets()
    assert len(sheets) == 1 and sheets[0] is not weasyprint.html.UA_STYLESHEET
    left_out = [rule.group(0) for rule in reporting.NOTE_RULES.finditer(weasyprint.html.UA)]
    assert len(left_out) == 5 and all(rule.startswith(("::footnote-", "::note-")) for rule in left_out)
    kept = reporting.NOTE_RULES.sub("", weasyprint.html.UA)
    assert "::footnote" not in kept and "::note" not in kept and "::marker" in kept
    assert len(kept) == len(weasyprint.html.UA) - sum(map(len, left_out))


def test_the_chart_tab_is_kept_between_charts_and_draws_the_same_pictures(chart_renderer):
    """kaleido would reload its tab (parsing plotly.js again) after every chart; PINE keeps it. The
    override must still be the method kaleido calls, and the pictures must not change."""
    assert kaleido.Kaleido._return_kaleido_tab is reporting._return_tab_without_reload
    assert "_return_kaleido_tab" in inspect.getsource(kaleido.Kaleido._render_task)
    evidence = evidence_build(report_data(), DID_PLAN, threshold=5)
    figures = [figure for per_measure in reporting.report_figures(evidence) for figure, _ in per_measure]
    first = reporting.chart_images(figures, "png")
    assert first is not None and len(first) == 3
    assert reporting.chart_images(list(reversed(figures)), "png") == list(reversed(first))


def test_each_chart_is_drawn_once_for_the_pdf_and_the_word_document(chart_renderer, monkeypatch):
    from reports import word

    drawn = []
    real = reporting.chart_images

    def counting(figures, image_format, **options):
        drawn.append((len(figures), image_format))
        return real(figures, image_format, **options)

    monkeypatch.setattr(reporting, "chart_images", counting)
    evidence = evidence_build(report_data(), DID_PLAN, threshold=5)
    charts = reporting.report_charts(evidence)
    files = reporting.build_report(evidence, context(), charts=charts)
    document = docx.Document(io.BytesIO(word.report_docx(evidence, context(), charts=charts)))
    assert drawn == [(3, "png")]  # one batch: two measures' charts and the event study
    shapes = document.inline_shapes
    in_word = [document.part.related_parts[s._inline.graphic.graphicData.pic.blipFill.blip.embed].blob for s in shapes]
    assert in_word == [chart.png for figures in charts for chart in figures]
    assert all(idat(png) in files.pdf for png in in_word)


def test_charts_drawn_in_batches_are_the_charts_drawn_at_once_in_order(chart_renderer, monkeypatch):
    evidence = evidence_build(report_data(), DID_PLAN, threshold=5)
    figures = reporting.report_figures(evidence)
    at_once = reporting.draw_charts(figures)
    drawn = []
    real = reporting.chart_images

    def counting(batch, image_format, **options):
        drawn.append(len(batch))
        return real(batch, image_format, **options)

    monkeypatch.setattr(reporting, "chart_images", counting)
    monkeypatch.setattr(reporting, "CHART_BATCH", 2)
    in_batches = reporting.draw_charts(figures)
    assert drawn == [2, 1]
    assert [c.png for per in in_batches for c in per] == [c.png for per in at_once for c in per]
    assert all(c.png.startswith(b"\x89PNG") for per in in_batches for c in per)
    # The browser fails on the second batch: no pictures at all, and the PDF carries the tables.
    batches = iter([real, lambda batch, image_format, **options: None])
    monkeypatch.setattr(
        reporting, "chart_images", lambda batch, image_format, **options: next(batches)(batch, image_format, **options)
    )
    assert all(c.png is None for per in reporting.draw_charts(figures) for c in per)


def test_a_worker_process_warms_up_with_the_renderer_and_its_imports_out_of_full_collections(monkeypatch):
    import gc

    from reports import tasks

    started = []
    monkeypatch.setattr("reports.documents.start_chart_renderer", lambda: started.append(True) or True)
    try:
        tasks._warm_up(sender=None)  # Celery's worker_process_init
        assert started == [True] and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_start_chart_renderer_without_a_browser_does_nothing(monkeypatch):
    monkeypatch.setattr(reporting, "_renderer_started", False)
    monkeypatch.setattr(reporting, "chart_browser", lambda: None)
    assert reporting.start_chart_renderer() is False
    assert reporting._renderer_started is False


@pytest.mark.django_db
def test_plotly_js_is_served_from_the_installed_package_at_its_version(client):
    from pine.assets import plotly_js

    path, version = plotly_js()
    assert version == plotly.__version__
    response = client.get(f"/assets/plotly-{version}.min.js")
    assert response.status_code == 200 and "immutable" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == path.read_bytes()
    assert client.get("/assets/plotly-0.0.1.min.js").status_code == 404


def test_the_event_study_of_a_difference_in_differences_uses_only_shown_values():
    evidence = evidence_build(report_data(), DID_PLAN, threshold=5)
    figure = reporting.event_study_figure(evidence, evidence.measures[0])
    points = dict(zip(pd.to_datetime(figure["data"][0]["x"]), figure["data"][0]["y"]))
    assert points[MONTHS[11]] == 0  # the last baseline period is the reference
    # April 2025: the intervention's value is hidden, so the period is left out.
    assert MONTHS[-1] + MONTHS.freq not in points
    intervention = [round(100 * x / n, 1) for x, n in zip([*BASE_X, *POST_X], [*BASE_N, *POST_N])]
    comparison = [round(100 * (x + 1) / n, 1) for x, n in zip(BASE_X * 2, BASE_N * 2)]
    gap = [i - c for i, c in zip(intervention, comparison)]
    assert points[MONTHS[12]] == pytest.approx(round(gap[12] - gap[11], 1))
    its = evidence_build(report_data(), replace(DID_PLAN, design="its"), threshold=5)
    assert reporting.event_study_figure(its, its.measures[0]) is None  # only a difference-in-differences has one


def test_a_pdfs_page_references_are_made_once_for_the_pages_there_are():
    """pydyf made every page's reference again each time a tag asked for one (14,000 times for a
    report); PINE's property makes them once, and again only when a page is added."""
    import pydyf
    import weasyprint.pdf.tags

    assert "pdf.page_references[" in inspect.getsource(weasyprint.pdf.tags)
    pdf = pydyf.PDF()
    for _ in range(3):
        pdf.add_page(pydyf.Dictionary({}))
    first = pdf.page_references
    assert first == tuple(f"{n} 0 R".encode() for n in pdf.pages["Kids"][::3]) and pdf.page_references is first
    pdf.add_page(pydyf.Dictionary({}))
    assert len(pdf.page_references) == 4 and pdf.page_references[:3] == first
