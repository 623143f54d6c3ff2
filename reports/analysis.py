"""Analysis of an evaluation's outcome data: pure functions, DataFrame in, DataFrame or figure out.

No ORM and no I/O here, so every number can be checked against hand-worked reference values.

The input frame has one row per aggregate value: measure_code, measure_name, unit, polarity,
period_start, period_end, group, value, numerator, denominator, approved.

Safe outputs: `summarise` derives every number only from cells that survive
`suppress_small_counts`, never from the raw cells. A mean, a total or a pooled rate that included
a suppressed cell would let a reader recover that cell by subtracting the cells that are shown.
"""

from __future__ import annotations

import html
import math
from statistics import NormalDist

import pandas as pd
import plotly.graph_objects as go

GROUPS = ("intervention", "comparison", "all")
# The groups that add up (roughly) to "all": the ones a total can be differenced against.
DETAIL_GROUPS = ("intervention", "comparison")
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

SUMMARY_COLUMNS = [
    "measure_code",
    "measure_name",
    "unit",
    "polarity",
    "group",
    "periods",
    "periods_suppressed",
    "first_period",
    "last_period",
    "first_value",
    "last_value",
    "change",
    "mean",
    "median",
    "min",
    "max",
    "pooled_numerator",
    "pooled_denominator",
    "pooled_rate",
    "ci_low",
    "ci_high",
    "direction",
]

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


# --- Suppression -------------------------------------------------------------------------------


def suppress_small_counts(frame: pd.DataFrame, *, threshold: int) -> pd.DataFrame:
    """Hide counts of 1..threshold-1 children (zero is not disclosive), and whatever reveals them.

    Returns a copy with the hidden cells set to NA and a boolean `suppressed` column marking every
    row with a hidden cell. Rules, applied until nothing more changes:
    - primary: numerator, denominator, and value where unit == "count", when 1 <= count < threshold;
    - derived: a value computed from a hidden numerator or denominator is hidden too
      (a rate of 3 in 37 discloses the 3);
    - secondary: within one measure and period, if exactly one of intervention/comparison has a
      hidden count and the "all" group shows that count, the smallest other group's count is
      hidden too, so the first cannot be recovered as all minus the rest.
    Idempotent: a frame that was already suppressed comes back unchanged.
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    out = frame.copy()
    out["value"] = out["value"].astype("float64")
    out["numerator"] = out["numerator"].astype("Int64")
    out["denominator"] = out["denominator"].astype("Int64")
    already = out["suppressed"].astype(bool) if "suppressed" in out else pd.Series(False, index=out.index)

    is_count = out["unit"].eq("count")
    hidden = {
        "numerator": _is_small(out["numerator"], threshold),
        "denominator": _is_small(out["denominator"], threshold),
        "value": is_count & _is_small(out["value"], threshold),
    }
    while True:
        before = sum(int(mask.sum()) for mask in hidden.values())
        hidden["value"] |= hidden["numerator"] | hidden["denominator"]
        hidden["numerator"] |= _secondary(out, hidden["numerator"], "numerator")
        hidden["denominator"] |= _secondary(out, hidden["denominator"], "denominator")
        # Only counts add up across groups; rates and days cannot be recovered by subtraction.
        hidden["value"] |= is_count & _secondary(out, hidden["value"], "value")
        if sum(int(mask.sum()) for mask in hidden.values()) == before:
            break

    for column, mask in hidden.items():
        out[column] = out[column].mask(mask)
    out["suppressed"] = already | hidden["numerator"] | hidden["denominator"] | hidden["value"]
    return out


def _is_small(counts: pd.Series, threshold: int) -> pd.Series:
    return (counts.ge(1) & counts.lt(threshold)).fillna(False).astype(bool)


def _secondary(frame: pd.DataFrame, hidden: pd.Series, column: str) -> pd.Series:
    """Cells of `column` to hide so that a single hidden detail cell cannot be got from its total."""
    keys = [frame["measure_code"], frame["period_start"]]
    shown = frame[column].notna() & ~hidden
    detail = frame["group"].isin(DETAIL_GROUPS)
    hidden_details = (detail & hidden).groupby(keys).transform("sum")
    total_shown = (frame["group"].eq("all") & shown).groupby(keys).transform("any")
    candidates = detail & shown & hidden_details.eq(1) & total_shown
    extra = pd.Series(False, index=frame.index)
    if candidates.any():
        chosen = frame.loc[candidates]
        smallest = chosen[column].astype("float64").groupby([chosen["measure_code"], chosen["period_start"]]).idxmin()
        extra.loc[smallest.to_numpy()] = True
    return extra


# --- Summary -----------------------------------------------------------------------------------


def summarise(frame: pd.DataFrame, *, threshold: int) -> pd.DataFrame:
    """One row per (measure, group) of the suppressed data; see SUMMARY_COLUMNS.

    Built only from the cells left after suppression. first_/last_period are the periods of the
    first and last values that can be shown; change = last_value - first_value; the pooled rate
    is sum(numerators) / sum(denominators) over periods where both are shown, scaled as the unit
    (x100 for percentages, x10,000 for rates per 10,000); ci_low/ci_high are a 95% Wilson score
    interval for a pooled percentage. Measures keep their order in the frame; groups are ordered
    intervention, comparison, all.
    """
    safe = suppress_small_counts(frame, threshold=threshold)
    rows = []
    for code in safe["measure_code"].drop_duplicates():
        measure = safe[safe["measure_code"] == code]
        present = set(measure["group"])
        for group in [g for g in GROUPS if g in present] + sorted(present - set(GROUPS)):
            rows.append(_summarise_one(measure[measure["group"] == group]))
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    for column in ("periods", "periods_suppressed"):
        summary[column] = summary[column].astype("int64")
    for column in ("pooled_numerator", "pooled_denominator"):
        summary[column] = summary[column].astype("Int64")
    for column in ("first_value", "last_value", "change", "mean", "median", "min", "max", "pooled_rate", "ci_low", "ci_high"):
        summary[column] = summary[column].astype("float64")
    for column in ("first_period", "last_period"):
        summary[column] = pd.to_datetime(summary[column])
    return summary


def _summarise_one(rows: pd.DataFrame) -> dict:
    first_row = rows.iloc[0]
    unit, polarity = first_row["unit"], first_row["polarity"]
    shown = rows[rows["value"].notna()].sort_values("period_start")
    values = shown["value"]
    first_value = values.iloc[0] if len(values) else math.nan
    last_value = values.iloc[-1] if len(values) else math.nan
    change = last_value - first_value if len(values) >= 2 else math.nan

    paired = rows[rows["numerator"].notna() & rows["denominator"].notna()]
    pooled_numerator = int(paired["numerator"].sum()) if len(paired) else pd.NA
    pooled_denominator = int(paired["denominator"].sum()) if len(paired) else pd.NA
    pooled_rate = ci_low = ci_high = math.nan
    if unit in RATE_SCALE and len(paired) and pooled_denominator > 0:
        scale = RATE_SCALE[unit]
        pooled_rate = pooled_numerator / pooled_denominator * scale
        if unit == "percentage":
            low, high = wilson_interval(pooled_numerator, pooled_denominator)
            ci_low, ci_high = low * scale, high * scale

    return {
        "measure_code": first_row["measure_code"],
        "measure_name": first_row["measure_name"],
        "unit": unit,
        "polarity": polarity,
        "group": first_row["group"],
        "periods": rows["period_start"].nunique(),
        "periods_suppressed": int(rows["suppressed"].sum()),
        "first_period": shown["period_start"].iloc[0] if len(shown) else pd.NaT,
        "last_period": shown["period_start"].iloc[-1] if len(shown) else pd.NaT,
        "first_value": first_value,
        "last_value": last_value,
        "change": change,
        "mean": values.mean() if len(values) else math.nan,
        "median": values.median() if len(values) else math.nan,
        "min": values.min() if len(values) else math.nan,
        "max": values.max() if len(values) else math.nan,
        "pooled_numerator": pooled_numerator,
        "pooled_denominator": pooled_denominator,
        "pooled_rate": pooled_rate,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "direction": direction(change, polarity),
    }


def direction(change: float, polarity: str) -> str | None:
    """ "improved", "worsened" or "no change" given which way is better; None without a change."""
    if change is None or pd.isna(change):
        return None
    if math.isclose(change, 0.0, abs_tol=1e-9):
        return "no change"
    better = change > 0 if polarity == "higher" else change < 0
    return "improved" if better else "worsened"


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

    `frame` must come from `suppress_small_counts` (it refuses one without the `suppressed`
    column), because a chart is an output like any table.
    """
    if "suppressed" not in frame.columns:
        raise ValueError("measure_chart needs a frame from suppress_small_counts, so small counts stay hidden")
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
