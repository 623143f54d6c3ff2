"""Evaluation reports: a standalone HTML document and a PDF built from an evaluation's outcome frame.

Numbers come from `reports.analysis` (suppressed first); this module only words and lays them
out. The HTML carries interactive charts and one inlined copy of plotly.js, so it opens offline and
makes no requests. The PDF carries each chart as a static SVG drawn by kaleido in a headless
Chromium, or, when no browser is available, the tables alone and a pointer to the HTML version.
"""

from __future__ import annotations

import base64
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import kaleido
import pandas as pd
import plotly.graph_objects as go
import plotly.offline
import weasyprint
from choreographer.browsers import Chromium
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from kaleido.errors import BrowserClosedError, BrowserFailedError, ChromeNotFoundError

from reports.analysis import (
    GROUP_LABELS,
    GROUPS,
    RATE_SCALE,
    UNIT_LABELS,
    measure_chart,
    summarise,
    suppress_small_counts,
)

logger = logging.getLogger(__name__)

TEMPLATE = "reports/report_document.html"
CHART_WIDTH, CHART_HEIGHT = 800, 420  # layout pixels of the static chart in the PDF
SUPPRESSED = "[c]"
NOT_AVAILABLE = "–"
NOT_ESTIMABLE = "not estimable (0 of 0)"
# Browser trouble leaves the chart out of the PDF (chart_in_pdf=False) rather than failing the report.
_BROWSER_ERRORS = (ChromeNotFoundError, BrowserFailedError, BrowserClosedError, TimeoutError)

_UNIT_IN_WORDS = {
    "percentage": "percentages; changes are in percentage points",
    "rate_10k": "rates per 10,000 children",
    "days": "days",
    "count": "counts",
}
_DIRECTION_LABELS = {"improved": "Improved", "worsened": "Worsened", "no change": "No change"}


@dataclass(frozen=True)
class ReportFiles:
    html: bytes
    pdf: bytes
    chart_in_pdf: bool


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


def _kaleido_options(browser: str) -> dict:
    # MathJax off: kaleido would otherwise fetch it from a CDN for every page it opens.
    return {"path": browser, "mathjax": False}


def _chart_svgs(figures: list[go.Figure]) -> list[bytes] | None:
    """All of a report's charts as SVG, drawn in one batch by one browser; None if unavailable."""
    browser = chart_browser()
    if not figures or browser is None:
        return None
    with tempfile.TemporaryDirectory(prefix="pine-charts-") as folder:
        # kaleido's batch call writes files; a private temporary folder keeps them from clashing.
        paths = [Path(folder) / f"chart-{index}.svg" for index in range(len(figures))]
        specs = [
            {"fig": fig, "path": path, "opts": {"format": "svg", "width": CHART_WIDTH, "height": CHART_HEIGHT}}
            for fig, path in zip(figures, paths)
        ]
        try:
            if _renderer_started:
                with _render_lock:
                    kaleido.write_fig_from_object_sync(specs, cancel_on_error=True)
            else:
                kaleido.write_fig_from_object_sync(specs, cancel_on_error=True, kopts=_kaleido_options(browser))
        except _BROWSER_ERRORS:
            logger.warning("Could not draw charts for the PDF; it will carry the tables only", exc_info=True)
            return None
        return [path.read_bytes() for path in paths]


# --- The report --------------------------------------------------------------------------------


def build_report(
    frame: pd.DataFrame,
    *,
    title: str,
    partner_name: str,
    generated_at: datetime,
    threshold: int,
    progress: Callable[[int, str], None] = lambda pct, stage: None,
    draft: bool = False,
) -> ReportFiles:
    """Build the report as standalone HTML and PDF bytes from a raw (unsuppressed) outcome frame.

    Layout: title, partner, date; key messages; per measure a chart and a summary table; an
    appendix of every period with suppressed cells shown as [c]; a note on data status.
    `progress(percent, stage)` is called before each step.
    """
    progress(10, "Summarising")
    frame = frame.reset_index(drop=True)  # raw and suppressed cells are matched up by row label
    safe = suppress_small_counts(frame, threshold=threshold)
    summary = summarise(safe, threshold=threshold)
    measures = _measure_sections(frame, safe, summary)

    progress(40, "Drawing charts")
    figures = [measure_chart(safe, measure["code"]) for measure in measures]
    svgs = _chart_svgs(figures)

    context = {
        "title": title,
        "draft": draft,
        "partner_name": partner_name,
        "generated_at": generated_at,
        "threshold": threshold,
        "has_data": bool(measures),
        "key_messages": key_messages(summary, threshold=threshold, unapproved=_unapproved_rows(safe)),
        "measures": measures,
        "any_suppressed": bool(safe["suppressed"].any()) if len(safe) else False,
        "unapproved": _unapproved_periods(safe),
    }

    progress(60, "Writing HTML")
    for index, (measure, figure) in enumerate(zip(measures, figures)):
        measure["chart_html"] = mark_safe(
            figure.to_html(
                full_html=False,
                include_plotlyjs=False,
                div_id=f"chart-{index + 1}",
                default_height=f"{CHART_HEIGHT}px",
                config={"displaylogo": False, "responsive": True},
            )
        )
    html = render_to_string(
        TEMPLATE,
        {**context, "for_pdf": False, "plotly_js": mark_safe(plotly.offline.get_plotlyjs())},
    )

    progress(70, "Writing PDF")
    for measure, svg in zip(measures, svgs or []):
        measure["chart_svg_uri"] = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    pdf_html = render_to_string(TEMPLATE, {**context, "for_pdf": True, "charts_in_pdf": svgs is not None})
    # Tagged, so screen readers get the headings, tables and chart descriptions.
    pdf = weasyprint.HTML(string=pdf_html, base_url=None).write_pdf(pdf_tags=True)

    progress(100, "Done")
    return ReportFiles(html=html.encode("utf-8"), pdf=pdf, chart_in_pdf=svgs is not None)


def key_messages(summary: pd.DataFrame, *, threshold: int, unapproved: frozenset = frozenset()) -> list[str]:
    """One plain-English sentence per measure and group, from `summarise` output.

    `unapproved` holds (measure_code, group, period_start) of rows not yet approved; a message
    quoting one of those periods says so.
    """
    return [_key_message(row, threshold, unapproved) for row in summary.itertuples(index=False)]


def _key_message(row, threshold: int, unapproved: frozenset) -> str:
    who = f"{row.measure_name} ({GROUP_LABELS.get(row.group, row.group).lower()})"
    if pd.isna(row.first_value):
        if row.periods_suppressed:
            return f"{who}: every figure is suppressed because it involves fewer than {threshold} children."
        return f"{who}: no figures yet."

    def when(period) -> str:
        pending = (row.measure_code, row.group, pd.Timestamp(period)) in unapproved
        return _month(period) + (" (unapproved)" if pending else "")

    first = f"{_value(row.first_value, row.unit)} in {when(row.first_period)}"
    if pd.isna(row.change):
        return f"{who}: {first}; only one period can be shown so far."
    last = f"{_value(row.last_value, row.unit)} in {when(row.last_period)}"
    if row.direction == "no change":
        return f"{who}: {first} and {last}, no change."
    movement = "a rise" if row.change > 0 else "a fall"
    verdict = "an improvement" if row.direction == "improved" else "a worsening"
    return f"{who}: {first} and {last}, {movement} of {_difference(abs(row.change), row.unit)} — {verdict}."


def _measure_sections(raw: pd.DataFrame, safe: pd.DataFrame, summary: pd.DataFrame) -> list[dict]:
    sections = []
    for code in summary["measure_code"].drop_duplicates():
        rows = summary[summary["measure_code"] == code]
        first = rows.iloc[0]
        unit = first["unit"]
        sections.append(
            {
                "code": code,
                "name": first["measure_name"],
                "unit_label": UNIT_LABELS.get(unit, unit),
                "unit_in_words": _UNIT_IN_WORDS.get(unit, unit),
                "better": "Higher is better" if first["polarity"] == "higher" else "Lower is better",
                "show_pooled": unit in RATE_SCALE and rows["pooled_denominator"].notna().any(),
                "pooled_ci": unit == "percentage",
                "summary_rows": [_summary_row(row) for row in rows.itertuples(index=False)],
                **_appendix(raw, safe, code, unit),
            }
        )
    return sections


def _summary_row(row) -> dict:
    """Table cells: numbers without unit words (the caption names the unit) to fit an A4 page."""
    shown = not pd.isna(row.first_value)

    def cell(value, *, average: bool = False) -> str:
        if shown:
            return _number(value, row.unit, average=average)
        return SUPPRESSED if row.periods_suppressed else NOT_AVAILABLE

    periods = f"{row.periods}" + (f" ({row.periods_suppressed} suppressed)" if row.periods_suppressed else "")
    pooled = NOT_AVAILABLE
    if not pd.isna(row.pooled_rate):
        pooled = _number(row.pooled_rate, row.unit)
        if not pd.isna(row.ci_low):
            pooled += f" ({_number(row.ci_low, row.unit)} to {_number(row.ci_high, row.unit)})"
    return {
        "group": GROUP_LABELS.get(row.group, row.group),
        "periods": periods,
        "first": f"{cell(row.first_value)} ({_month(row.first_period)})" if shown else cell(row.first_value),
        "last": f"{cell(row.last_value)} ({_month(row.last_period)})" if shown else cell(row.last_value),
        "change": _signed(row.change, row.unit) if not pd.isna(row.change) else NOT_AVAILABLE,
        "mean": cell(row.mean, average=True),
        "median": cell(row.median, average=True),
        "range": f"{cell(row.min)} to {cell(row.max)}" if shown else cell(row.min),
        "pooled": pooled,
        "direction": _DIRECTION_LABELS.get(row.direction, NOT_AVAILABLE),
    }


def _appendix(raw: pd.DataFrame, safe: pd.DataFrame, code: str, unit: str) -> dict:
    """The measure's periods by group. A cell reads [c] when suppression hid a submitted number."""
    rows = safe[safe["measure_code"] == code]
    present = [group for group in GROUPS if group in set(rows["group"])]
    has_counts = bool(raw.loc[rows.index, ["numerator", "denominator"]].notna().to_numpy().any())
    periods = []
    for (start, end), period in rows.groupby(["period_start", "period_end"], sort=True):
        cells = []
        for group in present:
            match = period[period["group"] == group]
            if match.empty:
                cells.append(NOT_AVAILABLE)
                continue
            index = match.index[0]
            denominator = raw.at[index, "denominator"]
            if pd.isna(raw.at[index, "value"]) and not pd.isna(denominator) and denominator == 0:
                text = NOT_ESTIMABLE
            else:
                text = _shown(raw, safe, index, "value", lambda v: _number(v, unit))
            if has_counts:
                numerator = _shown(raw, safe, index, "numerator", _whole)
                denominator = _shown(raw, safe, index, "denominator", _whole)
                text += f" ({numerator} / {denominator})"
            cells.append(text)
        periods.append(
            {
                "label": _period(start, end),
                "unapproved": not bool(period["approved"].all()),
                "cells": cells,
            }
        )
    return {
        "appendix_groups": [GROUP_LABELS[group] for group in present],
        "appendix_has_counts": has_counts,
        "appendix_rows": periods,
    }


def _shown(raw: pd.DataFrame, safe: pd.DataFrame, index, column: str, fmt: Callable) -> str:
    value = safe.at[index, column]
    if pd.isna(value):
        return SUPPRESSED if pd.notna(raw.at[index, column]) else NOT_AVAILABLE
    return fmt(value)


def _unapproved_rows(safe: pd.DataFrame) -> frozenset:
    pending = safe[~safe["approved"].astype(bool)]
    return frozenset(
        (code, group, pd.Timestamp(start))
        for code, group, start in pending[["measure_code", "group", "period_start"]].itertuples(index=False)
    )


def _unapproved_periods(safe: pd.DataFrame) -> list[str]:
    """One line per measure listing its periods not yet approved, e.g. "Entries to care: Feb 2026, Mar 2026"."""
    pending = safe[~safe["approved"].astype(bool)]
    lines = []
    for name in pending["measure_name"].drop_duplicates():
        periods = pending.loc[pending["measure_name"] == name, ["period_start", "period_end"]].drop_duplicates()
        labels = [_period(row.period_start, row.period_end) for row in periods.sort_values("period_start").itertuples()]
        lines.append(f"{name}: {', '.join(labels)}")
    return lines


# --- Wording of numbers ------------------------------------------------------------------------


def _value(value: float, unit: str) -> str:
    """A value in words, for sentences."""
    if unit == "percentage":
        return f"{value:.1f}%"
    if unit == "rate_10k":
        return f"{value:,.1f} per 10,000"
    if unit == "days":
        return f"{value:,.1f} days"
    return f"{value:,.0f}"


def _difference(amount: float, unit: str) -> str:
    if unit == "percentage":
        return f"{amount:.1f} percentage points"
    if unit == "rate_10k":
        return f"{amount:,.1f} per 10,000"
    if unit == "days":
        return f"{amount:,.1f} days"
    return f"{amount:,.0f}"


def _number(value: float, unit: str, *, average: bool = False) -> str:
    """A value for a table cell, whose caption names the unit. A count is whole; its mean need not be."""
    if unit == "percentage":
        return f"{value:.1f}%"
    return f"{value:,.0f}" if unit == "count" and not average else f"{value:,.1f}"


def _signed(change: float, unit: str) -> str:
    sign = "+" if change > 0 else "−" if change < 0 else ""  # a true minus sign reads as "minus"
    return sign + (f"{abs(change):,.0f}" if unit == "count" else f"{abs(change):,.1f}")


def _whole(count) -> str:
    return f"{int(count):,}"


def _month(moment) -> str:
    return pd.Timestamp(moment).strftime("%b %Y")


def _period(start, end) -> str:
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if (start.year, start.month) == (end.year, end.month):
        return _month(start)
    return f"{_month(start)} to {_month(end)}"
