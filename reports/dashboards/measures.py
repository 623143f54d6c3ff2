"""Per-measure figures of one evaluation, worked out from its outcome frame by the analysis functions
(``reports.estimates.process_control``, ``reports.disclosure.safe_cells``). Runs in the worker that
refreshes figures, never in a page's request."""

import math
from datetime import date

import pandas as pd

from outcomes.periods import periods_within
from reports.dashboards import rules
from reports.disclosure import round_for_charts, safe_cells
from reports.estimates import AnalysisPlan, process_control

GROUP_ORDER = ("intervention", "comparison", "all")
FREQUENCY_ORDER = ("monthly", "quarterly", "annual")


def planned_periods(plan, measures: dict) -> list[tuple[date, date]]:
    """The periods a plan asks data for: its baseline and follow-up windows, at the most frequent of
    its measures' frequencies (monthly when it names none)."""
    if plan is None:
        return []
    frequencies = {measures[e["code"]].frequency for e in plan.measures if e.get("code") in measures}
    frequency = next((f for f in FREQUENCY_ORDER if f in frequencies), "monthly")
    windows = [(plan.baseline_start, plan.baseline_end), (plan.follow_up_start, plan.follow_up_end)]
    return sorted({p for first, last in windows if first and last for p in periods_within(first, last, frequency)})


def _number(value) -> float | None:
    if value is None or pd.isna(value):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _analysis_plan(plan) -> AnalysisPlan | None:
    if plan is None:
        return None
    dates = (plan.intervention_start, plan.baseline_start, plan.baseline_end, plan.follow_up_start, plan.follow_up_end)
    return AnalysisPlan(*dates) if all(dates) else None


def _ordered_codes(frame: pd.DataFrame, plan) -> list[str]:
    present = list(dict.fromkeys(frame["measure_code"]))
    planned = [e.get("code") for e in (plan.measures if plan else []) if e.get("code") in present]
    return planned + sorted(c for c in present if c not in planned)


def measure_figures(frame: pd.DataFrame, plan, measures: dict) -> list[dict]:
    """For each measure with data: its values table (every group, every period) and, with a
    signed-off plan, its SPC chart (centre and limits from the baseline, signals after it) with the
    Making Data Count variation and assurance."""
    analysis_plan = _analysis_plan(plan)
    entries = {e.get("code"): e for e in (plan.measures if plan else [])}
    out = []
    by_measure = dict(tuple(frame.groupby("measure_code", sort=False)))  # one pass, not one filter a measure
    for code, rows in ((c, by_measure[c]) for c in _ordered_codes(frame, plan)):
        first = rows.iloc[0]
        table: dict[str, dict] = {}
        for row in rows.itertuples(index=False):
            key = row.period_start.date().isoformat()
            line = table.setdefault(key, {"start": key, "end": row.period_end.date().isoformat(), "approved": bool(row.approved)})
            line[row.group] = _number(row.value)
        figure = {
            "code": code,
            "name": first["measure_name"],
            "unit": first["unit"],
            "polarity": first["polarity"],
            "groups": [g for g in GROUP_ORDER if g in set(rows["group"])],
            "table": [table[k] for k in sorted(table)],
            "chart": None,
            "variation": None,
            "assurance": "none",
            "method": "",
            "notes": [],
        }
        if analysis_plan is None:
            figure["notes"] = ["The control chart needs a signed-off plan with its baseline and follow-up dates."]
        else:
            entry = entries.get(code, {})
            estimate = process_control(rows, analysis_plan, measure_code=code, planned_direction=entry.get("direction"))
            if estimate.chart:
                points = estimate.chart["points"]
                latest = points[-1] if points else {}
                figure |= {
                    "chart": {
                        **estimate.chart,
                        "shift": bool(estimate.diagnostics["runs_after_baseline"]["shift"]),
                        "too_few_crossings": bool(estimate.diagnostics["runs_after_baseline"]["too_few_crossings"]),
                    },
                    "variation": estimate.diagnostics["variation"],
                    "assurance": rules.assurance(
                        target=_number(entry.get("target")),
                        lower=latest.get("lower"),
                        upper=latest.get("upper"),
                        polarity=first["polarity"],
                    ),
                    "method": estimate.method,
                    "notes": list(estimate.limitations),
                }
            else:
                figure["notes"] = [f"No control chart: {estimate.reason}."]
        out.append(figure)
    return out


def shared_figures(frame: pd.DataFrame, measures: dict, *, threshold: int) -> dict:
    """What of each library measure may be shown across partners (the cohort dashboard): one group
    (the intervention group, or all children when it has none, as the control chart uses), every
    cell passed through ``safe_cells``; a hidden cell is None."""
    library = {code for code, m in measures.items() if m.partner_id is None}
    chosen = []
    for _, rows in frame[frame["measure_code"].isin(library)].groupby("measure_code", sort=True):
        group = "intervention" if (rows["group"] == "intervention").any() else "all"
        chosen.append(rows[rows["group"] == group])
    if not chosen:
        return {}
    # Rounded as the tables show them: a chart or CSV across partners shows no more than a table.
    safe = round_for_charts(safe_cells(pd.concat(chosen, ignore_index=True), threshold=threshold).frame)
    shared = {}
    for code, rows in safe.groupby("measure_code", sort=True):
        rows = rows.sort_values("period_start")
        shared[code] = {
            "name": rows["measure_name"].iloc[0],
            "unit": rows["unit"].iloc[0],
            "polarity": rows["polarity"].iloc[0],
            "group": rows["group"].iloc[0],
            "points": [
                [s.date().isoformat(), e.date().isoformat(), _number(v), _number(n), _number(d)]
                for s, e, v, n, d in rows[["period_start", "period_end", "value", "numerator", "denominator"]].itertuples(
                    index=False
                )
            ],
        }
    return shared
