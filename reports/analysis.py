"""Analysis of an evaluation's outcome data: pure functions, DataFrame in, DataFrame or figure out.

No ORM and no I/O here, so every number can be checked against hand-worked reference values.

The input frame has one row per aggregate value: measure_code, measure_name, unit, polarity,
period_start, period_end, group, value, numerator, denominator, approved.

Safe outputs: what is published goes through `reports.disclosure.safe_cells`; `measure_chart`
draws only a frame that has been through it (or a frame marked as shown in full, for the practice
team's own pages, `reports.evaluation_data`).
"""

from __future__ import annotations

import html
import math
from statistics import NormalDist

import pandas as pd
import plotly.graph_objects as go

GROUPS = ("intervention", "comparison", "all")
GROUP_LABELS = {"intervention": "Intervention", "comparison": "Comparison", "all": "All children"}

UNIT_LABELS = {
    "count": "Count",
    "rate_10k": "Rate per 10,000 children",
    "percentage": "Percentage",
    "days": "Days",
}
# Units whose value is numerator / denominator times a scale, so a pooled rate makes sense.
RATE_SCALE = {"percentage": 100, "rate_10k": 10_000}

Z_95 = NormalDist().inv_cdf(0.975)  # 1.959964..., the two-sided 95% normal quantile

# GOV.UK palette, plus a dash style and marker per group so the chart reads without colour.
_GROUP_STYLE = {
    "intervention": {"color": "#1d70b8", "dash": "solid", "symbol": "circle"},
    "comparison": {"color": "#f47738", "dash": "dash", "symbol": "square"},
    "all": {"color": "#505a5f", "dash": "dot", "symbol": "diamond"},
}
_HOVER_VALUE = {
    "count": "%{y:,.0f}",
    "rate_10k": "%{y:,.1f} per 10,000",
    "percentage": "%{y:.1f}%",
    "days": "%{y:,.1f} days",
}


# --- Intervals ---------------------------------------------------------------------------------


def wilson_interval(successes: int, trials: int, *, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval (no continuity correction) for a binomial proportion, as fractions.

    Wilson (1927), method 3 in Newcombe (1998), Statistics in Medicine 17:857-872:
        centre = (p + z^2 / 2n) / (1 + z^2 / n)
        half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2)
    Unlike the Wald interval it stays within [0, 1] and is not zero-width at p = 0 or 1.
    """
    if trials <= 0:
        raise ValueError("trials must be positive")
    if not 0 <= successes <= trials:
        raise ValueError("successes must be between 0 and trials")
    n = trials
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


# --- Chart -------------------------------------------------------------------------------------


def measure_chart(frame: pd.DataFrame, measure_code: str) -> go.Figure:
    """Line chart of one measure over time, one line per group; suppressed points are gaps.

    `frame` must come from `reports.disclosure.safe_cells` (it refuses one without the `suppressed`
    column), because a chart is an output like any table.
    """
    if "suppressed" not in frame.columns:
        raise ValueError("measure_chart needs the frame of safe_cells (reports.disclosure), so small counts stay hidden")
    rows = frame[frame["measure_code"] == measure_code].sort_values("period_start")
    name = rows["measure_name"].iloc[0] if len(rows) else measure_code
    unit = rows["unit"].iloc[0] if len(rows) else "count"

    fig = go.Figure()
    for group in GROUPS:
        points = rows[rows["group"] == group]
        if points.empty:
            continue
        style = _GROUP_STYLE[group]
        fig.add_trace(
            go.Scatter(
                x=points["period_start"],
                y=points["value"].astype("float64"),  # NaN where suppressed: plotly leaves a gap
                name=GROUP_LABELS[group],
                mode="lines+markers",
                connectgaps=False,
                line={"color": style["color"], "dash": style["dash"], "width": 2.5},
                marker={"symbol": style["symbol"], "size": 7, "color": style["color"]},
                text=[" (unapproved)" if not approved else "" for approved in points["approved"]],
                hovertemplate=(f"%{{x|%b %Y}}: {_HOVER_VALUE.get(unit, '%{y}')}%{{text}}<extra>{GROUP_LABELS[group]}</extra>"),
            )
        )
    fig.update_layout(
        # plotly.js reads a little HTML in titles; escape so a measure name is shown as written.
        title={"text": html.escape(name, quote=False), "x": 0, "xanchor": "left"},
        template="simple_white",
        font={"family": "Arial, Helvetica, sans-serif", "size": 14, "color": "#0b0c0c"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0},
        margin={"l": 70, "r": 20, "t": 90, "b": 60},
        hovermode="x unified",
    )
    fig.update_xaxes(title_text="Period starting", tickformat="%b %Y", type="date")
    # Start rates at zero so small changes are not drawn as large ones.
    fig.update_yaxes(title_text=UNIT_LABELS.get(unit, unit), rangemode="tozero", showgrid=True, gridcolor="#dddddd")
    return fig
