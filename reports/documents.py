"""Evaluation reports: a standalone HTML document and a PDF built from an `Evidence`.

Numbers come from `reports.evidence` (the plan's estimates, rounded, and the safe cells); this
module only words and lays them out. The HTML carries interactive charts and loads plotly.js from
PINE (not inlined: the file stays small); every chart has its table in the appendix. The PDF
carries each chart as a PNG drawn by kaleido in a headless Chromium (laid out while the browser draws:
see "The PDF" below), or, when no browser is available, the tables alone and a pointer to the HTML
version.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import re
import struct
import tempfile
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import kaleido
import numpy as np
import pandas as pd
import plotly.io
import pydyf
import weasyprint
import weasyprint.html
import weasyprint.images
import weasyprint.urls
from choreographer.browsers import Chromium
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe
from kaleido.errors import BrowserClosedError, BrowserFailedError, ChromeNotFoundError
from PIL import Image

from measures.library import value_shown
from reports.analysis import GROUP_LABELS, GROUPS, UNIT_LABELS
from reports.disclosure import REASON_COLUMNS, TABLE_DECIMALS, round_for_charts
from reports.evidence import Evidence, MeasureResult

logger = logging.getLogger(__name__)

TEMPLATE = "reports/report_document.html"
CHART_WIDTH, CHART_HEIGHT = 800, 420  # layout pixels of the static chart in the PDF
# PNG pixels per layout pixel: 1600 x 840, about 230 dots per inch across the PDF's and the Word
# document's text width, sharp when printed. Each chart is drawn once and shared by both documents.
CHART_SCALE = 2
SUPPRESSED = "[c]"
NOT_ESTIMABLE = "not estimable (0 of 0)"
NOT_AVAILABLE = "–"
# Browser trouble leaves the chart out of the PDF (chart_in_pdf=False) rather than failing the report.
_BROWSER_ERRORS = (ChromeNotFoundError, BrowserFailedError, BrowserClosedError, TimeoutError)


@dataclass(frozen=True)
class ReportFiles:
    html: bytes
    pdf: bytes
    chart_in_pdf: bool


@dataclass(frozen=True)
class Chart:
    """One chart of a measure: the figure (interactive in the HTML), what it shows in words, and its
    picture (PNG) for the PDF and the Word document, drawn once; None when no browser could draw it."""

    figure: dict  # plotly's figure as plain data
    description: str
    png: bytes | None


def report_figures(evidence: Evidence) -> list[list[tuple[dict, str]]]:
    """Every measure's charts (figure and description), in the order every document shows them."""
    return [measure_charts(evidence, result) for result in evidence.measures]


def draw_charts(figures: list[list[tuple[dict, str]]]) -> list[list[Chart]]:
    """`figures` with their pictures, each drawn once as a PNG by the shared browser for the PDF and
    the Word document to share, on white without an alpha channel (`opaque_png`)."""
    images = _opaque_pictures([figure for per_measure in figures for figure, _ in per_measure])
    pictures = iter(images or [])
    return [
        [Chart(figure, description, next(pictures) if images is not None else None) for figure, description in per_measure]
        for per_measure in figures
    ]


CHART_BATCH = 4  # charts the browser draws in one call, while the batch before is made opaque


def _opaque_pictures(figures: list[dict]) -> list[bytes] | None:
    """Each figure as an opaque PNG (None: no browser, or it failed). The browser draws them a batch at
    a time, and each batch is made opaque in a thread while it draws the next (Pillow and zlib let go
    of the GIL while they decode and compress). Made opaque after the drawing, they added a third to
    its time."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pine-png") as pool:
        batches = []
        for first in range(0, len(figures), CHART_BATCH):
            images = chart_images(figures[first : first + CHART_BATCH], "png", scale=CHART_SCALE)
            if images is None:
                return None
            batches.append(pool.submit(lambda drawn: [opaque_png(image) for image in drawn], images))
        return [picture for batch in batches for picture in batch.result()] if batches else None


def report_charts(evidence: Evidence) -> list[list[Chart]]:
    return draw_charts(report_figures(evidence))


def opaque_png(png: bytes) -> bytes:
    """The picture on white, as an 8-bit RGB PNG. The browser's PNGs carry an alpha channel (opaque
    everywhere: the charts have a white background), which WeasyPrint splits off and compresses
    again as a mask for every picture: a second of every report. Without it the PDF takes the PNG's
    compressed pixels as they are (`_png_stream`)."""
    with Image.open(io.BytesIO(png)) as image:
        if image.mode == "RGB":
            return png
        image = image.convert("RGBA")
        if image.getchannel("A").getextrema() != (255, 255):
            image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image)
        return rgb_png(np.asarray(image.convert("RGB")))


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def rgb_png(pixels: np.ndarray) -> bytes:
    """`pixels` (height x width x 3, 8 bits) as a PNG, its rows unfiltered, compressed at zlib's
    default level. Pillow tries every PNG filter on every row, two thirds of the time it took to
    make a report's charts opaque; a chart's unfiltered rows (flat colour, thin lines) compress as
    small (2.68 MB for 18 charts against Pillow's 2.89 MB)."""
    height, width, _ = pixels.shape
    rows = np.zeros((height, 1 + 3 * width), dtype=np.uint8)  # each row: filter type 0 (none), then its pixels
    rows[:, 1:] = pixels.reshape(height, 3 * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, RGB, deflate, PNG filters, not interlaced
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# --- Chart renderer (kaleido) ------------------------------------------------------------------

_renderer_lock = threading.Lock()
_renderer_started = False
# kaleido's server pairs requests and answers through shared queues: one caller at a time.
_render_lock = threading.Lock()


def chart_browser() -> str | None:
    """The Chrome/Chromium kaleido should use, found cheaply without starting it: kaleido's own
    BROWSER_PATH, then the project's CHROMIUM_PATH, then kaleido's usual search (PATH, its download)."""
    for variable in ("BROWSER_PATH", "CHROMIUM_PATH"):
        path = os.environ.get(variable)
        if path and os.access(path, os.X_OK):
            return path
    return Chromium.find_browser(skip_local=False)


def start_chart_renderer() -> bool:
    """Start kaleido's shared headless browser for this process, once; True if it is running.

    Without it every report starts its own browser (~3-5 s). Call it at worker start-up, after any
    fork (a browser thread does not survive fork). Safe to call again and from several threads.
    Without a browser it does nothing and returns False: kaleido's server would die in its thread
    and leave later calls waiting for ever.
    """
    global _renderer_started
    with _renderer_lock:
        if not _renderer_started:
            browser = chart_browser()
            if browser is None:
                logger.info("No Chrome/Chromium found: report PDFs will not carry charts")
                return False
            kaleido.start_sync_server(silence_warnings=True, **_kaleido_options(browser))
            _renderer_started = True
    return True


# kaleido reloads its tab (and so parses plotly.js again) after every chart, which was half the time
# of a report's charts; the pictures are the same byte for byte without it. The tab is kept for
# RELOAD_TAB_EVERY charts instead, so a long-lived worker still starts afresh now and then.
RELOAD_TAB_EVERY = 200


async def _return_tab_without_reload(self, tab) -> None:
    tab.pine_charts_drawn = getattr(tab, "pine_charts_drawn", 0) + 1
    if tab.pine_charts_drawn % RELOAD_TAB_EVERY == 0:
        await tab.reload()
    await self.tabs_ready.put(tab)


kaleido.Kaleido._return_kaleido_tab = _return_tab_without_reload

# Charts drawn at once, each in a tab of the one browser. Two tabs drew 40 charts in 9.9 s instead of
# 13.3 s here, but a demo build then waited for ever on a tab that never opened: one, until that is
# understood.
CHART_TABS = 1


def _kaleido_options(browser: str) -> dict:
    # MathJax off: kaleido would otherwise fetch it from a CDN for every page it opens.
    return {"path": browser, "mathjax": False, "n": CHART_TABS}


def chart_images(figures: list[dict], image_format: str, *, scale: float = 1) -> list[bytes] | None:
    """All of a report's charts as `image_format` ("svg" or "png"), drawn in one batch by one
    browser; None if unavailable. `scale` multiplies the pixels of a bitmap."""
    browser = chart_browser()
    if not figures or browser is None:
        return None
    with tempfile.TemporaryDirectory(prefix="pine-charts-") as folder:
        # kaleido's batch call writes files; a private temporary folder keeps them from clashing.
        paths = [Path(folder) / f"chart-{index}.{image_format}" for index in range(len(figures))]
        options = {"format": image_format, "width": CHART_WIDTH, "height": CHART_HEIGHT, "scale": scale}
        specs = [{"fig": fig, "path": path, "opts": options} for fig, path in zip(figures, paths)]
        try:
            if _renderer_started:
                with _render_lock:
                    kaleido.write_fig_from_object_sync(specs, cancel_on_error=True)
            else:
                kaleido.write_fig_from_object_sync(specs, cancel_on_error=True, kopts=_kaleido_options(browser))
        except _BROWSER_ERRORS:
            logger.warning("Could not draw charts; the report will carry the tables only", exc_info=True)
            return None
        return [path.read_bytes() for path in paths]


# --- The report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportContext:
    """What a report says about itself and its evaluation, besides the evidence (all plain text,
    escaped by the template)."""

    title: str
    partner_name: str
    version: int
    generated_at: datetime
    plan_version: int = 0
    design_label: str = ""
    practice_title: str = ""
    practice_summary: str = ""
    children_description: str = ""
    theory_svg: str = ""  # the theory of change diagram (evaluations.theory.svg), already safe
    submissions: tuple[str, ...] = ()  # the uploads the data came from, as "file (date)"
    data_checksum: str = ""
    code_version: str = ""
    plotly_js_url: str = ""  # where the HTML loads plotly.js from (served by PINE, not inlined)
    narrative: str = ""  # the partner's own key messages, written before the version was marked final


def build_report(
    evidence: Evidence,
    context: ReportContext,
    *,
    progress: Callable[[int, str], None] = lambda pct, stage: None,
    charts: list[list[Chart]] | None = None,
) -> ReportFiles:
    """The report as HTML and PDF bytes. Every number comes from `evidence`: cells from its safe
    frame, findings from its rounded estimates. `charts` are `report_charts(evidence)`, drawn here
    if not given (give them to share them with the Word document), while the HTML is written and the
    PDF laid out. `progress(percent, stage)` is called before each step."""
    progress(50, "Drawing charts")
    sections = report_sections(evidence, context)
    figures = report_figures(evidence) if charts is None else [[(c.figure, c.description) for c in per] for per in charts]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pine-charts") as pool:
        drawing = pool.submit(draw_charts, figures) if charts is None else None
        progress(60, "Writing HTML")
        html = report_html(sections, figures)
        progress(70, "Laying out the PDF")
        layout = pdf_layout(sections, figures) if charts_drawable(charts) else None
        if drawing is not None:
            charts = drawing.result()
    progress(85, "Writing PDF")
    pdf, drawn = report_pdf(sections, charts, layout=layout)
    return ReportFiles(html=html, pdf=pdf, chart_in_pdf=drawn)


def charts_drawable(charts: list[list[Chart]] | None = None) -> bool:
    """Whether the charts have (`charts`) or will have pictures (a browser is there to draw them):
    then the PDF is laid out ahead with blank pictures in their places (`pdf_layout`)."""
    if charts is not None:
        return all(chart.png is not None for per_measure in charts for chart in per_measure)
    return chart_browser() is not None


def report_html(sections: dict, figures: list[list[tuple[dict, str]]]) -> bytes:
    """The standalone HTML: `report_sections` with each measure's interactive charts."""
    measures, count = [], 0
    for measure, per_measure in zip(sections["measures"], figures):
        entries = []
        for figure, description in per_measure:
            count += 1
            html_chart = plotly.io.to_html(
                figure,
                validate=False,  # built as plotly's plain data, checked by the tests
                full_html=False,
                include_plotlyjs=False,
                div_id=f"chart-{count}",
                default_height=f"{CHART_HEIGHT}px",
                config={"displaylogo": False, "responsive": True},
            )
            entries.append({"html": mark_safe(html_chart), "description": description})
        measures.append({**measure, "charts": entries})
    return render_to_string(TEMPLATE, {**sections, "measures": measures, "for_pdf": False}).encode("utf-8")


# --- The PDF -----------------------------------------------------------------------------------
# WeasyPrint lays the PDF out while the browser draws the charts: a blank picture of a chart's size
# holds each chart's place (the pages are the same: the template sizes a picture by its width and
# its proportions), and the drawn pictures take their places before the PDF is written. Laying out
# is most of WeasyPrint's time and needs no picture; writing reads the pictures' pixels.

CHART_URI = "pine-chart:{}"  # how the PDF's HTML names its pictures; `_Pictures` serves them
PDF_OPTIONS = {"pdf_tags": True}  # tagged, so screen readers get the headings, tables and chart descriptions


@dataclass
class PdfLayout:
    """The PDF laid out with blank pictures in its charts' places (`pdf_layout`), for `report_pdf`."""

    document: weasyprint.Document
    uris: list[str]
    images: dict  # WeasyPrint's image cache of this layout: each picture by its URI


def pdf_layout(sections: dict, figures: list[list[tuple[dict, str]]]) -> PdfLayout:
    """The PDF with a blank picture of a chart's size in each chart's place, laid out (the charts
    need not be drawn yet)."""
    blank = _blank_chart()
    uris = [CHART_URI.format(n) for n in range(sum(len(per_measure) for per_measure in figures))]
    images: dict = {}
    document = _pdf_html(sections, [[d for _, d in per_measure] for per_measure in figures], dict.fromkeys(uris, blank))
    return PdfLayout(document.render(cache=images, **PDF_OPTIONS), uris, images)


def report_pdf(sections: dict, charts: list[list[Chart]], *, layout: PdfLayout | None = None) -> tuple[bytes, bool]:
    """The PDF, and whether it carries the charts' pictures (not when no browser could draw them).
    With the `layout` of the same sections, the charts take the blank pictures' places in it."""
    drawn = all(chart.png is not None for per_measure in charts for chart in per_measure)
    pictures = [chart.png for per_measure in charts for chart in per_measure]
    if drawn and layout is not None and _put_pictures(layout, pictures):
        return layout.document.write_pdf(**PDF_OPTIONS), True
    descriptions = [[chart.description for chart in per_measure] for per_measure in charts]
    uris = [CHART_URI.format(n) for n in range(len(pictures))]
    html = _pdf_html(sections, descriptions, dict(zip(uris, pictures)) if drawn else None)
    return html.write_pdf(**PDF_OPTIONS), drawn


def _pdf_html(sections: dict, descriptions: list[list[str]], pictures: dict[str, bytes] | None) -> weasyprint.HTML:
    """The PDF's HTML, its charts named in order by `CHART_URI`, served from `pictures` (None: the
    charts could not be drawn; the PDF says where they are)."""
    measures, count = [], 0
    for measure, per_measure in zip(sections["measures"], descriptions):
        entries = []
        for description in per_measure:
            entry = {"description": description}
            if pictures is not None:
                entry["image_uri"] = CHART_URI.format(count)
            entries.append(entry)
            count += 1
        measures.append({**measure, "charts": entries})
    html = render_to_string(TEMPLATE, {**sections, "measures": measures, "for_pdf": True, "charts_in_pdf": pictures is not None})
    return ReportHTML(string=html, base_url=None, url_fetcher=_Pictures(pictures or {}))


class ReportHTML(weasyprint.HTML):
    """WeasyPrint's HTML with its user-agent stylesheet less the rules for footnotes and notes, which a
    report has none of. Those rules name no element (``::footnote-call`` and four more), so WeasyPrint
    gave every element five pseudo-elements' styles: a second of a report's PDF (its appendix
    tables are thousands of elements)."""

    def _ua_stylesheets(self, forms=False):
        sheets = super()._ua_stylesheets(forms)
        return [_report_ua_stylesheet() if sheet is weasyprint.html.UA_STYLESHEET else sheet for sheet in sheets]


NOTE_RULES = re.compile(r"^::(footnote|note)-[a-z]+ \{[^}\n]*\}$", re.MULTILINE)


@functools.cache
def _report_ua_stylesheet() -> weasyprint.CSS:
    return weasyprint.CSS(string=NOTE_RULES.sub("", weasyprint.html.UA), counter_style=weasyprint.html.UA_COUNTER_STYLE)


class _Pictures(weasyprint.URLFetcher):
    """The PDF's charts by their URIs, and nothing else: a report's HTML reads no file and no web
    address. (As data: URIs the pictures cost a second a report: 8 MB of base64 to escape and parse.)"""

    def __init__(self, pictures: dict[str, bytes]):
        super().__init__()
        self._pictures = pictures

    def fetch(self, url, headers=None):
        if url not in self._pictures:
            raise ValueError(f"a report's PDF loads only its charts, not {url[:100]}")
        return weasyprint.urls.URLFetcherResponse(url, self._pictures[url], {"Content-Type": "image/png"})


def _put_pictures(layout: PdfLayout, pictures: list[bytes]) -> bool:
    """Put the drawn pictures in the blank ones' places: True if done, False (and nothing changed)
    when a picture is not the blank's size and kind, or WeasyPrint keeps its images otherwise than
    this knows (the PDF is then laid out again with the pictures)."""
    if len(pictures) != len(layout.uris):
        logger.warning("The PDF is laid out again: its pictures do not fit the places kept for them")
        return False
    # Every chart has its place; a picture without one would be left out, not put in another's.
    placed = [(layout.images[uri], picture) for uri, picture in zip(layout.uris, pictures) if uri in layout.images]
    if not all(_same_kind(blank, picture) for blank, picture in placed):
        logger.warning("The PDF is laid out again: its pictures do not fit the places kept for them")
        return False
    for blank, picture in placed:
        blank.image_data = blank.cache_image_data(picture)
    return True


def _same_kind(image, picture: bytes) -> bool:
    if not isinstance(image, weasyprint.images.RasterImage) or not hasattr(image, "cache_image_data"):
        return False
    with Image.open(io.BytesIO(picture)) as drawn:
        return (drawn.format, drawn.mode, drawn.size) == ("PNG", image.mode, (image.width, image.height))


@functools.cache
def _blank_chart() -> bytes:
    """A white picture of a drawn chart's size and kind (8-bit RGB PNG), a few hundred bytes."""
    out = io.BytesIO()
    Image.new("RGB", (CHART_WIDTH * CHART_SCALE, CHART_HEIGHT * CHART_SCALE), "white").save(out, format="PNG")
    return out.getvalue()


def _png_stream(pillow_image) -> bytes:
    """What WeasyPrint writes as a PNG picture's pixels: the PNG's compressed rows, as PDF's
    /FlateDecode with the PNG predictors reads them. WeasyPrint decodes every PNG and compresses it
    again to get them (a second and a half for a report's charts); an 8-bit RGB PNG that is not
    interlaced (`opaque_png`'s) has them as they are, in its IDAT chunks. Any other picture goes
    WeasyPrint's own way."""
    tile = pillow_image.tile[0] if getattr(pillow_image, "tile", None) else None
    if (
        pillow_image.format != "PNG"
        or pillow_image.mode != "RGB"
        or tile is None
        or tile[3] != "RGB"  # its raw mode: 8 bits a channel ("RGB;16B" for 16)
        or pillow_image.info.get("interlace")
    ):
        return _weasyprint_png_stream(pillow_image)
    pillow_image.fp.seek(0)
    data = pillow_image.fp.read()
    chunks, at = [], 8  # after the PNG signature: chunks of (length, type, data, CRC)
    while at + 8 <= len(data):
        length, kind = int.from_bytes(data[at : at + 4], "big"), data[at + 4 : at + 8]
        if kind == b"IDAT":
            chunks.append(data[at + 8 : at + 8 + length])
        elif kind == b"IEND":
            break
        at += 12 + length
    return b"".join(chunks)


_weasyprint_png_stream = weasyprint.images.RasterImage._get_png_data
weasyprint.images.RasterImage._get_png_data = staticmethod(_png_stream)


def _page_references(pdf: pydyf.PDF) -> tuple[bytes, ...]:
    """pydyf's ``PDF.page_references`` (each page's "n 0 R"), made once for the pages there are:
    pydyf made them all again each time, and a tagged PDF asks once for every tag (14,000 times
    over 80 pages for a report: half a second)."""
    kids = pdf.pages["Kids"]
    made = pdf.__dict__.get("_pine_page_references")
    if made is None or made[0] != len(kids):
        made = (len(kids), tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
        pdf.__dict__["_pine_page_references"] = made
    return made[1]


pydyf.PDF.page_references = property(_page_references)


def report_sections(evidence: Evidence, context: ReportContext) -> dict:
    """What every document of the report says, section by section, worded once: the HTML and PDF
    template and the Word document (reports.word) both lay out this dict."""
    measures = [_finding(evidence, result) for result in evidence.measures]
    return {
        "report": context,
        "draft": evidence.draft,
        "draft_notice": DRAFT_NOTICE,
        "draft_header": DRAFT_HEADER,
        "plan": evidence.plan,
        "windows": _windows_text(evidence.plan.windows),
        "threshold": evidence.threshold,
        "key_messages": [m["message"] for m in measures],
        "conclusion_rule": conclusion_rule(evidence.plan.design),
        "narrative": narrative_section(context),
        "measures": measures,
        "data": _data_section(evidence),
        "limitations": _limitations(evidence),
        "general_limitation": GENERAL_LIMITATION,
        "methods": methods_paragraphs(evidence.plan.design, evidence.threshold),
        "unplanned": evidence.unplanned,
        "any_suppressed": bool(len(evidence.safe.frame)) and bool(evidence.safe.frame["suppressed"].any()),
        "theory_svg": mark_safe(context.theory_svg) if context.theory_svg else "",
        "primary_appendix_note": primary_appendix_note(measures),
    }


def primary_appendix_note(measures: list[dict]) -> str:
    """What the PDF's and the Word document's appendix leaves to the others ("" when it has every
    measure's table).

    The PDF, and the Word document a partner edits from it, are the copies a board reads: their
    appendix gives the figures by period of the measures the conclusions rest on, the primary ones.
    Every measure's are in the HTML version's appendix and the spreadsheet. (Printed, a plan of twenty
    measures over five years made thirty pages of monthly tables, and three quarters of the PDF's
    time.)"""
    everywhere = "the appendix of the HTML version of this report and the spreadsheet appendix (Excel)"
    primaries = sum(measure["primary"] for measure in measures)
    if primaries == len(measures):
        return ""
    if primaries == 0:
        return f"The plan names no primary measure, so the figures by period are not printed here: they are in {everywhere}."
    whose = "the primary measure's" if primaries == 1 else "the primary measures'"
    return (
        f"The figures by period printed here are {whose}. Every measure's figures by period, the secondary measures' "
        f"too, are in {everywhere}."
    )


NARRATIVE_HEADING = "In the partner's own words"


def narrative_section(context: ReportContext) -> dict | None:
    """The partner's own key messages, under PINE's (None when they wrote none): the heading, who
    wrote them, and their paragraphs (split at blank lines), each a list of its lines."""
    text = context.narrative.strip()
    if not text:
        return None
    paragraphs = [[line.strip() for line in block.strip().splitlines()] for block in re.split(r"\n\s*\n", text)]
    return {
        "heading": NARRATIVE_HEADING,
        "hint": f"Written by {context.partner_name} when they marked this report final; the findings above and below are PINE's.",
        "text": text,
        "paragraphs": [lines for lines in paragraphs if any(lines)],
    }


DRAFT_NOTICE = "DRAFT: the evaluation plan this report follows is not signed off. Its findings may change."
DRAFT_HEADER = "DRAFT: the plan this report follows is not signed off"  # the running header of every page
GENERAL_LIMITATION = (
    "An evaluation of practice in one place cannot rule out every other explanation for a change: other services, "
    "policy or the children referred may have changed at the same time."
)


def conclusion_rule(design: str) -> str:
    """When a measure is called improved or worsened, in words (under the key messages)."""
    direction = ", and improved only in the direction the plan expected" if design else ""
    return (
        "A measure is called improved or worsened only when the 95% confidence interval of the estimate the plan set out "
        f"excludes no change{direction}. Secondary measures are exploratory."
    )


_DESIGN_METHODS = {
    "pre_post": (
        "Before and after.",
        "Each measure is pooled over the baseline window and over the follow-up window, and the follow-up is compared "
        "with the baseline. For percentages the interval is Newcombe's hybrid score interval; for rates and counts it is "
        "built from Poisson score intervals; for days it is Welch's t interval on the period values. A change before "
        "and after cannot show that the practice caused it.",
    ),
    "did": (
        "Difference-in-differences.",
        "The change in the intervention group from the baseline to the follow-up is compared with the change in the "
        "comparison group over the same windows. The estimate comes from a regression on the period values with "
        "standard errors that allow for periods that resemble their neighbours (Newey–West, lag ⌊4(T/100)^(2/9)⌋). "
        "Before the intervention the two groups should move in parallel: a test of different baseline trends is "
        "reported, and a failed test is a limitation.",
    ),
    "its": (
        "Interrupted time series.",
        "A line is fitted to the baseline periods and another to the follow-up periods; the estimate is the difference "
        "at the end of follow-up between the second line and the first line carried on (the counterfactual). With 24 or "
        "more monthly baseline periods the model allows for the month of the year. Standard errors allow for "
        "neighbouring periods that resemble each other (Newey–West); the Durbin–Watson and Ljung–Box checks are reported.",
    ),
    "spc": (
        "Statistical process control.",
        "The centre line and control limits come from the baseline periods (XmR chart for counts and days, p-chart for "
        "percentages, u-chart for rates). After the baseline, a long run on one side of the centre line, too few "
        "crossings of it (Anhøj's rules) or a point beyond the limits signals special-cause variation, in the manner of "
        "NHS “Making Data Count”.",
    ),
    "time_to_event": (
        "Time to event.",
        "From each child's start date, the time to their first event is followed in the follow-up window; a child "
        "without an event is counted until the end of the last period sent for them (censored). Kaplan–Meier curves "
        "give the percentage of each group who had the event by each day; the log-rank test compares the whole curves, "
        "and each group's median time is given with its 95% interval. The estimate is the difference between the "
        "groups (intervention minus comparison) in the percentage who had the event by the plan's horizon, with a 95% "
        "interval from Greenwood's variances. To protect small numbers a curve is drawn only at steps where at least "
        "the threshold number of children were at risk and at least that many had the event since the step before; "
        "smaller steps are merged into the next one shown, and the curve ends once fewer are at risk.",
    ),
    "rct": (
        "Randomised trial.",
        "The intervention group is compared with the comparison group over the follow-up window, with the same "
        "intervals as a before-and-after comparison.",
    ),
}


def suppression_rule(threshold: int) -> str:
    """The small-number rule, in words (the methods annex and the workbook's read-me)."""
    return (
        f"Counts of fewer than {threshold} children are not shown ([c]), nor a count whose complement is that small, "
        "nor a rate or average over so few; other figures are hidden too wherever a hidden number could be worked out "
        "from totals, other groups, other periods or earlier versions of this report."
    )


def methods_paragraphs(design: str, threshold: int) -> list[tuple[str, str]]:
    """The plain-English methods annex: (lead-in, text) paragraphs."""
    paragraphs = [_DESIGN_METHODS.get(design, ("", "The plan has no design yet, so no estimate is made."))]
    paragraphs.append(
        ("Protecting children's privacy.", suppression_rule(threshold) + " Estimates are given to one decimal place.")
    )
    paragraphs.append(
        (
            "Smallest detectable effect.",
            "Where given, the smallest change the design could detect with 80% power at the 5% level (two-sided); a "
            "“no clear change” is informative only when that is small.",
        )
    )
    return paragraphs


# --- Findings ----------------------------------------------------------------------------------

CONCLUSION_LABELS = {
    "improved": "Improved",
    "worsened": "Worsened",
    "no clear change": "No clear change",
    "not estimable": "Not estimable",
}


ESTIMATE_NAMES = {
    "pre_post": "Before-and-after",
    "did": "Difference-in-differences",
    "its": "Interrupted time series",
    "controlled_its": "Controlled interrupted time series",
    "spc": "Process control",
    "rct": "Randomised comparison",
    "time_to_event": "Time-to-event",
}


def key_message(result: MeasureResult) -> str:
    """One plain-English sentence: the conclusion, the estimate and its interval."""
    e = result.estimate
    role = "" if result.planned.role == "primary" else " (secondary, exploratory)"
    who = f"{result.name}{role}"
    if e.conclusion == "not estimable":
        return f"{who}: not estimable, because {e.reason or 'the data do not allow it'}."
    if e.ci_low is None:  # process control: a shift from the centre line, judged by its signals
        shift = f"the mean after the baseline is {_signed(e.estimate)} {e.scale} from the baseline's centre line"
        variation = {
            "improved": "special-cause variation in the better direction",
            "worsened": "special-cause variation in the worse direction",
        }
        if e.conclusion == "no clear change":
            return f"{who}: no clear change (common-cause variation only); {shift}."
        return f"{who}: {e.conclusion}: {variation[e.conclusion]} after the baseline; {shift}."
    amount = f"{_signed(e.estimate)} {e.scale} (95% confidence interval {_signed(e.ci_low)} to {_signed(e.ci_high)})"
    estimate = f"{ESTIMATE_NAMES.get(e.design, 'The')} estimate: {amount}"
    horizon = (e.chart or {}).get("horizon_days")
    if e.design == "time_to_event" and horizon:  # what the percentage is of
        estimate = (
            f"{ESTIMATE_NAMES[e.design]} estimate of the difference in the percentage of children who had the event "
            f"by {horizon:,} days: {amount}"
        )
    if e.conclusion == "no clear change":
        return f"{who}: no clear change. {estimate}; the interval includes no change."
    verdict = "improved" if e.conclusion == "improved" else "worsened"
    return f"{who}: {verdict}. {estimate}."


def _finding(evidence: Evidence, result: MeasureResult) -> dict:
    e = result.estimate
    detectable = ""
    if e.smallest_detectable is not None:
        detectable = (
            f"With these data the design could reliably detect (80% power, 5% two-sided) a change of "
            f"{_plain(e.smallest_detectable)} {e.scale} or more"
            + (f" ({e.smallest_detectable_basis})" if e.smallest_detectable_basis else "")
            + "."
        )
    return {
        "code": result.planned.code,
        "name": result.name,
        "primary": result.planned.role == "primary",
        "unit_label": UNIT_LABELS.get(result.unit, result.unit),
        "better": {"higher": "Higher is better", "lower": "Lower is better"}.get(result.polarity, ""),
        "expected": _EXPECTED.get(result.planned.direction, ""),
        "conclusion": e.conclusion,
        "conclusion_label": CONCLUSION_LABELS[e.conclusion],
        "message": key_message(result),
        "method": e.method,
        "estimate": None if e.estimate is None else f"{_signed(e.estimate)} {e.scale}",
        "interval": None if e.ci_low is None else f"{_signed(e.ci_low)} to {_signed(e.ci_high)}",
        "relative": None if e.relative_change is None else f"{_signed(100 * e.relative_change)}%",
        "detectable": detectable,
        "limitations": list(e.limitations),
        "chart_description": _chart_description(evidence, result),
        "survival": survival_section(result),
        **_appendix(evidence.safe.frame, result),
    }


_EXPECTED = {
    "increase": "The plan expected an increase",
    "decrease": "The plan expected a decrease",
    "no_change": "The plan expected no change",
}


def _limitations(evidence: Evidence) -> list[str]:
    notes = []
    if evidence.draft:
        notes.append("The evaluation plan this report follows is not signed off, so its findings are provisional.")
    frame = evidence.safe.frame
    if len(frame) and not frame["approved"].astype(bool).all():
        notes.append("Some periods have not yet been approved by the practice team; their figures may still change.")
    for result in evidence.measures:
        for line in result.estimate.limitations:
            notes.append(f"{result.name}: {line}")
    return notes


def _data_section(evidence: Evidence) -> dict:
    """Completeness and approval by period, and the periods and children per group and window."""
    frame = evidence.safe.frame
    if not len(frame):
        return {"periods": [], "groups": []}
    groups = [g for g in GROUPS if g in set(frame["group"])]
    periods = []
    for (start, end), rows in frame.groupby(["period_start", "period_end"], sort=True):
        periods.append(
            {
                "label": _period(start, end),
                "window": _window_of(start, end, evidence.plan.windows),
                "measures": rows["measure_code"].nunique(),
                "of": len(evidence.measures),
                "approved": bool(rows["approved"].astype(bool).all()),
            }
        )
    return {"periods": periods, "groups": [GROUP_LABELS.get(g, g) for g in groups]}


def _window_of(start, end, windows) -> str:
    if windows is None:
        return ""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if start >= pd.Timestamp(windows.baseline_start) and end <= pd.Timestamp(windows.baseline_end):
        return "Baseline"
    if start >= pd.Timestamp(windows.follow_up_start) and end <= pd.Timestamp(windows.follow_up_end):
        return "Follow-up"
    return "Outside the windows"


def _windows_text(windows) -> dict:
    if windows is None:
        return {}
    return {
        "intervention_start": _day(windows.intervention_start),
        "baseline": f"{_day(windows.baseline_start)} to {_day(windows.baseline_end)}",
        "follow_up": f"{_day(windows.follow_up_start)} to {_day(windows.follow_up_end)}",
        "intervention_rows": GROUP_LABELS.get(windows.intervention_group, windows.intervention_group),
        "comparison_rows": GROUP_LABELS.get(windows.comparison_group, "") if windows.comparison_group else "",
    }


def _appendix(safe: pd.DataFrame, result: MeasureResult) -> dict:
    """The measure's periods by group, as shown: a hidden cell reads [c]."""
    rows = safe[safe["measure_code"] == result.planned.code]
    present = [group for group in GROUPS if group in set(rows["group"])]
    has_counts = bool(len(rows)) and (rows[["numerator", "denominator"]].notna().to_numpy().any() or _any_hidden(rows))
    # Plain dicts, one a row, grouped by period: a pandas row per cell cost a second per report.
    by_period: dict[tuple, dict[str, dict]] = {}
    for row in rows.sort_values(["period_start", "period_end"], kind="stable").to_dict("records"):
        by_period.setdefault((row["period_start"], row["period_end"]), {}).setdefault(row["group"], row)
    periods = []
    for (start, end), groups in by_period.items():
        cells = []
        for group in present:
            row = groups.get(group)
            if row is None:
                cells.append(NOT_AVAILABLE)
                continue
            if pd.isna(row["value"]) and not pd.isna(row["denominator"]) and row["denominator"] == 0:
                text = NOT_ESTIMABLE  # no children in the period: a rate of nothing
            else:
                text = _cell(row, "value", lambda v: _number(v, result.unit))
            if has_counts:
                text += f" ({_cell(row, 'numerator', _whole)} / {_cell(row, 'denominator', _whole)})"
            cells.append(text)
        approved = all(bool(row["approved"]) for row in groups.values())
        periods.append({"label": _period(start, end), "unapproved": not approved, "cells": cells})
    return {
        "appendix_groups": [GROUP_LABELS.get(group, group) for group in present],
        "appendix_has_counts": has_counts,
        # A time-to-event measure's cells count each child once (reports.evidence's window totals).
        "appendix_note": "each child counted once, in the month of their event or of the end of their follow-up"
        if result.survival is not None
        else "",
        "appendix_rows": periods,
    }


def _any_hidden(rows: pd.DataFrame) -> bool:
    return bool(rows[[REASON_COLUMNS["numerator"], REASON_COLUMNS["denominator"]]].notna().to_numpy().any())


def _cell(row, column: str, fmt: Callable) -> str:
    value = row[column]
    if pd.isna(value):
        return (
            SUPPRESSED if row[REASON_COLUMNS[column]] is not None and not pd.isna(row[REASON_COLUMNS[column]]) else NOT_AVAILABLE
        )
    return fmt(value)


# --- Charts ------------------------------------------------------------------------------------

_COLOURS = {"intervention": "#1d70b8", "comparison": "#d4351c", "all": "#505a5f"}


def measure_figure(evidence: Evidence, result: MeasureResult) -> dict:
    """The measure's shown values by group (hidden cells are gaps), the intervention start, the
    shaded windows, and the design's own lines: fitted segments and the counterfactual (interrupted
    time series), the window means and the counterfactual (difference-in-differences), or the
    centre line and limits (process control). Every number is rounded as the tables show it."""
    safe = evidence.safe.frame
    rows = round_for_charts(safe[safe["measure_code"] == result.planned.code]).sort_values("period_start")
    decimals = TABLE_DECIMALS.get(result.unit, 1)
    traces, shapes, annotations = [], [], []
    for group in [g for g in GROUPS if g in set(rows["group"])]:
        series = rows[rows["group"] == group]
        label = GROUP_LABELS.get(group, group)
        traces.append(
            {
                "type": "scatter",
                "x": _dates(series["period_start"]),
                "y": _numbers(series["value"]),
                "name": label,
                "mode": "lines+markers",
                "line": {"color": _COLOURS.get(group, "#0b0c0c")},
                "connectgaps": False,
                "hovertemplate": f"%{{x|%b %Y}}: %{{y:,.{decimals}f}}<extra>{label}</extra>",
            }
        )
    _design_lines(traces, shapes, annotations, result, decimals)
    windows = evidence.plan.windows
    if windows is not None:
        shapes.append(_vrect(windows.baseline_start, windows.baseline_end, "#b1b4b6", 0.15))
        shapes.append(_vrect(windows.follow_up_start, windows.follow_up_end, "#00703c", 0.08))
        start = _date(windows.intervention_start)
        shapes.append(_vline(start))
        annotations.append(_label_above(start, "Intervention starts"))
    return _figure(
        traces,
        shapes,
        annotations,
        title=result.name,
        yaxis={"title": {"text": UNIT_LABELS.get(result.unit, result.unit)}},
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 60, "r": 20, "t": 60, "b": 60},
    )


def measure_charts(evidence: Evidence, result: MeasureResult) -> list[tuple[dict, str]]:
    """A measure's charts and what each shows in words, in the order every document shows them.

    A time-to-event measure with steps of its curves shown is read from its Kaplan-Meier chart, and
    has no chart by period: its cells (one row a child, or the curves would be hidden) count each
    child once, in the month of their event or of the end of their follow-up, which is no rate."""
    survival = result.survival
    by_curves = survival is not None and any(group.shown and group.steps for group in survival.groups)
    charts = [] if by_curves else [(measure_figure(evidence, result), _chart_description(evidence, result))]
    events = event_study_figure(evidence, result)
    if events is not None:
        charts.append((events, EVENT_STUDY_DESCRIPTION))
    survival = survival_figure(result)
    if survival is not None:
        charts.append((survival, survival_description(result)))
    return charts


EVENT_STUDY_DESCRIPTION = (
    "Chart of the difference between the intervention and the comparison group in each period, less "
    "that difference in the last baseline period; before the intervention the points should sit around "
    "zero (parallel trends). Periods where either group's value is suppressed are left out."
)


def event_study_figure(evidence: Evidence, result: MeasureResult) -> dict | None:
    """For a difference-in-differences: intervention minus comparison in each period, less that
    difference in the last baseline period, computed from the values shown (rounded as the tables
    show them), so it gives away nothing the tables do not."""
    windows = evidence.plan.windows
    if result.estimate.design != "did" or windows is None or not windows.comparison_group:
        return None
    safe = evidence.safe.frame
    rows = round_for_charts(safe[safe["measure_code"] == result.planned.code])  # row by row: the measure's alone
    by_group = rows.pivot_table(index="period_start", columns="group", values="value", aggfunc="first")
    if windows.intervention_group not in by_group or windows.comparison_group not in by_group:
        return None
    gap = (by_group[windows.intervention_group] - by_group[windows.comparison_group]).dropna()
    baseline = gap[gap.index <= pd.Timestamp(windows.baseline_end)]
    if gap.empty or baseline.empty:
        return None
    decimals = TABLE_DECIMALS.get(result.unit, 1)
    relative = (gap - baseline.iloc[-1]).round(decimals)
    trace = {
        "type": "scatter",
        "x": _dates(relative.index),
        "y": _numbers(relative),
        "mode": "markers",
        "name": "Difference from the last baseline period",
        "marker": {"color": _COLOURS["intervention"], "size": 7},
        "hovertemplate": f"%{{x|%b %Y}}: %{{y:,.{decimals}f}}<extra></extra>",
    }
    shapes = [_hline(0, {"color": "#505a5f", "width": 1}), _vline(_date(windows.intervention_start))]
    return _figure(
        [trace],
        shapes,
        [],
        title=f"{result.name}: the gap between the groups by period (event study)",
        yaxis={"title": {"text": f"Difference ({result.estimate.scale or UNIT_LABELS.get(result.unit, result.unit)})"}},
        showlegend=False,
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
    )


def _design_lines(traces: list, shapes: list, annotations: list, result: MeasureResult, decimals: int) -> None:
    chart = result.estimate.chart or {}

    def rounded(values):
        return [None if v is None else round(v, decimals) for v in values]

    def line(points, key, name, dash, colour="#0b0c0c"):
        points = [p for p in points if p.get(key) is not None]
        if points:
            traces.append(
                {
                    "type": "scatter",
                    "x": [_date(p["period_start"]) for p in points],
                    "y": rounded([p[key] for p in points]),
                    "name": name,
                    "mode": "lines",
                    "line": {"color": colour, "dash": dash, "width": 1.5},
                    "hovertemplate": f"%{{x|%b %Y}}: %{{y:,.{decimals}f}}<extra>{name}</extra>",
                }
            )

    design = result.estimate.design
    if design in ("its", "controlled_its"):
        line(chart.get("points", []), "fitted", "Fitted segments", "solid", "#003078")
        line(chart.get("points", []), "counterfactual", "Had nothing changed (counterfactual)", "dot", "#003078")
    elif design == "spc":
        line(chart.get("points", []), "upper", "Upper control limit", "dash", "#505a5f")
        line(chart.get("points", []), "lower", "Lower control limit", "dash", "#505a5f")
        if chart.get("centre") is not None:
            centre = round(chart["centre"], decimals)
            shapes.append(_hline(centre, {"color": "#505a5f", "width": 1}))
            annotations.append(
                {
                    "text": "Centre line",
                    "x": 1,
                    "xref": "paper",
                    "y": centre,
                    "yref": "y",
                    "showarrow": False,
                    "xanchor": "right",
                    "yanchor": "bottom",
                }  # fmt: skip
            )
    elif design == "did" and chart.get("counterfactual_follow_up") is not None:
        follow = [p for p in chart.get("intervention", []) if p.get("window") == "follow_up"]
        if follow:
            traces.append(
                {
                    "type": "scatter",
                    "x": [_date(follow[0]["period_start"]), _date(follow[-1]["period_start"])],
                    "y": rounded([chart["counterfactual_follow_up"]] * 2),
                    "name": "Intervention group had it followed the comparison (counterfactual)",
                    "mode": "lines",
                    "line": {"color": _COLOURS["intervention"], "dash": "dot", "width": 1.5},
                    "hovertemplate": f"%{{y:,.{decimals}f}}<extra>Counterfactual</extra>",
                }
            )


# A chart is plotly's figure as plain data (what plotly.js and kaleido read): building plotly's
# validated objects, each with its own deep copy of the template, took longer than drawing them.
def _figure(traces: list, shapes: list, annotations: list, *, title: str, **layout) -> dict:
    return {
        "data": traces,
        "layout": {
            "template": _chart_template(),
            "title": {"text": escape(title)},
            "shapes": shapes,
            "annotations": annotations,
            "font": {"family": "Arial, Liberation Sans, sans-serif"},
            **layout,
        },
    }


@functools.cache
def _chart_template() -> dict:
    return plotly.io.templates["simple_white"].to_plotly_json()


def _date(day) -> str:
    return pd.Timestamp(day).strftime("%Y-%m-%d")


def _dates(days) -> list[str]:
    return [_date(day) for day in days]


def _numbers(values) -> list[float | None]:
    return [None if pd.isna(value) else float(value) for value in values]


def _vrect(start, end, colour: str, opacity: float) -> dict:
    return {"type": "rect", "xref": "x", "yref": "paper", "x0": _date(start), "x1": _date(end), "y0": 0, "y1": 1,
            "fillcolor": colour, "opacity": opacity, "line": {"width": 0}, "layer": "below"}  # fmt: skip


def _vline(x, line: dict | None = None) -> dict:
    line = line or {"color": "#0b0c0c", "dash": "dash", "width": 1.5}
    return {"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1, "line": line}


def _hline(y: float, line: dict) -> dict:
    return {"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": y, "y1": y, "line": line}


def _label_above(x, text: str) -> dict:
    return {"text": text, "x": x, "y": 1, "xref": "x", "yref": "paper", "showarrow": False,
            "xanchor": "left", "yanchor": "bottom"}  # fmt: skip


def _chart_description(evidence: Evidence, result: MeasureResult) -> str:
    """What the chart shows, in words, for readers who cannot see it (the same in every document: a
    secondary measure's table is not in the PDF's appendix, `primary_appendix_note`)."""
    extra = {
        "its": " with the fitted segments and the line had nothing changed",
        "controlled_its": " with the fitted segments and the line had nothing changed",
        "spc": " with the centre line and control limits from the baseline",
        "did": " with the intervention group's counterfactual over the follow-up",
    }.get(result.estimate.design, "")
    return (
        f"Line chart of {result.name} by period and group{extra}; the dashed vertical line marks the intervention start "
        f"and the shaded areas the baseline and follow-up windows. {_where_the_figures_are(result)}"
    )


def _where_the_figures_are(result: MeasureResult) -> str:
    if result.planned.role == "primary":
        return "The table in the appendix gives every value shown."
    return "The appendix of the HTML version of this report and the spreadsheet appendix give every value shown."


# --- Wording of numbers ------------------------------------------------------------------------


def _plain(x: float) -> str:
    return f"{x:,.1f}"


def _signed(x: float | None) -> str:
    if x is None:
        return NOT_AVAILABLE
    sign = "+" if x > 0 else "−" if x < 0 else ""  # a true minus sign reads as "minus"
    return sign + f"{abs(x):,.1f}"


def _number(value: float, unit: str) -> str:
    """A value for a table cell, whose caption names the unit (the library's one rule)."""
    return value_shown(value, unit)


def _whole(count) -> str:
    return f"{int(count):,}"


def _day(day) -> str:
    return pd.Timestamp(day).strftime("%-d %B %Y")


def _month(moment) -> str:
    return pd.Timestamp(moment).strftime("%b %Y")


def _period(start, end) -> str:
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if (start.year, start.month) == (end.year, end.month):
        return _month(start)
    return f"{_month(start)} to {_month(end)}"


# --- Time to event -----------------------------------------------------------------------------

_SURVIVAL_GROUPS = {"intervention": "Intervention", "comparison": "Comparison"}


def survival_figure(result: MeasureResult) -> dict | None:
    """For a time-to-event measure: each shown group's Kaplan-Meier curve as the percentage who had
    the event by each day, a step line drawn only from the safe steps
    (reports.disclosure.safe_time_to_event), and the plan's horizon."""
    survival = result.survival
    if survival is None or not any(g.shown and len(g.steps) > 1 for g in survival.groups):
        return None
    traces = []
    for group in survival.groups:
        if not group.shown or len(group.steps) < 2:
            continue
        label = _SURVIVAL_GROUPS.get(group.group, group.group)
        traces.append(
            {
                "type": "scatter",
                "x": [step.days for step in group.steps],
                "y": [step.percent_with_event for step in group.steps],
                "customdata": [step.at_risk for step in group.steps],
                "name": label,
                "mode": "lines+markers",
                "line": {"shape": "hv", "color": _COLOURS.get(group.group, "#0b0c0c")},
                "hovertemplate": "Day %{x:,.0f}: %{y:.1f}% had the event (at risk: %{customdata:,})<extra>" + label + "</extra>",
            }
        )
    horizon = survival.horizon_days
    return _figure(
        traces,
        [_vline(horizon)],
        [_label_above(horizon, f"Horizon: {horizon:,} days")],
        title=f"{result.name}: time to the event (Kaplan–Meier)",
        xaxis={"title": {"text": "Days since the child's start date"}},
        yaxis={"title": {"text": "Children who had the event (%)"}, "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 60, "r": 20, "t": 60, "b": 60},
    )


def survival_description(result: MeasureResult) -> str:
    threshold_note = (
        "Steps are drawn only where enough children were at risk and had the event since the step before (smaller "
        "steps are merged); the numbers at risk are in the table below the chart."
    )
    return (
        f"Step chart of the percentage of children in each group who had {result.name} by each day since their start "
        f"date (Kaplan–Meier), with the horizon of {result.survival.horizon_days:,} days dashed. {threshold_note}"
    )


def survival_section(result: MeasureResult) -> dict | None:
    """A time-to-event measure's numbers as shown under its chart: each group's children, events and
    median time with its interval, the log-rank test, and the numbers at risk at each shown step."""
    survival = result.survival
    if survival is None:
        return None
    groups, steps = [], []
    for group in survival.groups:
        label = _SURVIVAL_GROUPS.get(group.group, group.group)
        if not group.shown:
            groups.append({"label": label, "children": SUPPRESSED, "events": SUPPRESSED, "median": SUPPRESSED, "interval": ""})
            continue
        interval = ""
        if group.median_days is not None:
            low = NOT_AVAILABLE if group.median_ci_low is None else f"{group.median_ci_low:,.0f}"
            high = "not reached" if group.median_ci_high is None else f"{group.median_ci_high:,.0f}"
            interval = f"{low} to {high}"
        groups.append(
            {
                "label": label,
                "children": SUPPRESSED if group.children is None else f"{group.children:,}",
                "events": SUPPRESSED if group.events is None else f"{group.events:,}",
                "median": "not reached" if group.median_days is None else f"{group.median_days:,.0f} days",
                "interval": interval,
            }
        )
        steps.append((label, list(group.steps)))
    p = result.estimate.diagnostics.get("log_rank_p")
    log_rank = "" if p is None else ("p < 0.001" if p < 0.001 else f"p = {p:.3f}")
    spacing, chosen = at_risk_steps(steps)
    return {
        "horizon_days": f"{survival.horizon_days:,}",
        "log_rank": log_rank,
        "groups": groups,
        "steps": [_at_risk_row(label, step) for label, group_steps in steps for step in group_steps],
        "at_risk": {
            "spacing": spacing,
            "steps": [_at_risk_row(label, step) for label, step in chosen],
            "all_steps": sum(len(group_steps) for _, group_steps in steps),
        },
    }


def _at_risk_row(label: str, step) -> dict:
    return {
        "group": label,
        "days": f"{step.days:,.0f}",
        "percent": f"{step.percent_with_event:.1f}%",
        "at_risk": f"{step.at_risk:,}",
    }


# The spacing of the numbers-at-risk table: the smallest of these that gives at most
# AT_RISK_ROWS rows a group (the chart and the spreadsheet keep every step).
AT_RISK_SPACINGS = (7, 14, 30, 60, 90, 180, 365, 730)
AT_RISK_ROWS = 12


def at_risk_steps(groups: list[tuple[str, list]]) -> tuple[int, list[tuple[str, object]]]:
    """The steps a reader needs to follow the curves, as under a Kaplan-Meier chart in a journal:
    for each (label, steps) group the last shown step on or before every `spacing` days (day 0, 30,
    60... or 90, 180...) and the curve's last step, so a board sees a dozen rows, not hundreds. Each
    is one of the safe steps (reports.disclosure.safe_curve) as it is: nothing the chart does not show.
    Returns the spacing and the (label, step) rows."""
    days = [step.days for _, steps in groups for step in steps]
    if not days:
        return 0, []
    last = int(max(days))
    spacing = next((s for s in AT_RISK_SPACINGS if last // s + 1 <= AT_RISK_ROWS), AT_RISK_SPACINGS[-1])
    chosen = []
    for label, steps in groups:
        picked = []
        for mark in range(0, last + 1, spacing):
            before = [step for step in steps if step.days <= mark]
            if before and (not picked or picked[-1] is not before[-1]):
                picked.append(before[-1])
        if steps and (not picked or picked[-1] is not steps[-1]):
            picked.append(steps[-1])  # where the curve ends
        chosen += [(label, step) for step in picked]
    return spacing, chosen
