"""The evidence a report gives: the plan's estimates for each planned measure and the cells that may
be shown, as one result, and that result as the results JSON. Pure: frame and plan in, no Django.

Every output of a report (HTML, PDF, workbook, document, results JSON, charts) is made from an
`Evidence`: its cells come from `reports.disclosure.safe_cells` and nothing else, and its estimates
are rounded to the decimals the tables show.

Reproducible: the same frame, plan and parameters give byte-identical results JSON (no clock, no
randomness, keys in a fixed order); `frame_checksum` fingerprints the data a version used.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import pandas as pd

from reports import disclosure, estimates

SNAPSHOT_COLUMNS = (
    "measure_code",
    "unit",
    "polarity",
    "aggregation",
    "period_start",
    "period_end",
    "group",
    "value",
    "numerator",
    "denominator",
    "approved",
)
ESTIMATE_DECIMALS = 1  # estimates and intervals, in the measure's scale (points, per 10,000, days, per period)
RESULTS_FORMAT = 1  # bumped when the results JSON changes shape


@dataclass(frozen=True)
class PlannedMeasure:
    code: str
    direction: str  # increase / decrease / no_change
    role: str  # primary / secondary


@dataclass(frozen=True)
class PlanSpec:
    """What a report takes from the plan version it follows, exactly as signed off."""

    version: int
    signed_off: bool
    design: str  # a key of estimates.DESIGNS, or "" when the plan has none yet
    research_questions: str = ""
    windows: estimates.AnalysisPlan | None = None  # None until every date is set
    comparison: str = ""  # the comparison group, in the plan's words
    comparison_how_chosen: str = ""
    measures: tuple[PlannedMeasure, ...] = ()
    horizon_days: int = 365  # time to event: the difference in the percentage with the event by then


@dataclass(frozen=True)
class MeasureResult:
    planned: PlannedMeasure
    name: str
    unit: str
    polarity: str
    estimate: estimates.Estimate  # rounded
    survival: disclosure.SafeSurvival | None = None  # time to event: the curves and medians that may be shown


@dataclass(frozen=True)
class Evidence:
    plan: PlanSpec
    safe: disclosure.SafeFrame
    measures: tuple[MeasureResult, ...]
    threshold: int
    unplanned: tuple[str, ...] = ()  # measures with data that the plan does not name
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def draft(self) -> bool:
        return not self.plan.signed_off


def evidence_build(
    frame: pd.DataFrame,
    plan: PlanSpec,
    *,
    threshold: int,
    earlier_hidden=frozenset(),
    earlier_shown=None,
    children: Mapping[str, pd.DataFrame] | None = None,
) -> Evidence:
    """The plan's estimate of each planned measure (primary ones first) from the raw frame, and the
    safe cells of the planned measures. `earlier_hidden` / `earlier_shown`: cells of earlier
    versions of this evaluation's report (see `earlier_cells`), so suppression stays consistent.
    `children`: for a time-to-event plan, each measure's child rows (one per child: group,
    start_date, event_date, period_end; see outcomes.selectors.child_event_frames)."""
    if not plan.measures:
        # No plan yet (or one that names no measure): the report shows every measure sent, each
        # secondary and not estimated, so a partner still sees its data, safely.
        codes = sorted(set(frame["measure_code"]))
        plan = replace(plan, measures=tuple(PlannedMeasure(code, "", "secondary") for code in codes))
    planned_codes = [m.code for m in plan.measures]
    data = frame[frame["measure_code"].isin(planned_codes)].reset_index(drop=True)
    analyse = estimates.DESIGNS.get(plan.design)
    ordered = sorted(plan.measures, key=lambda m: (m.role != "primary", planned_codes.index(m.code)))
    time_to_event = {}
    if plan.design == TIME_TO_EVENT and plan.windows is not None:
        for planned in ordered:
            rows = data[data["measure_code"] == planned.code]
            if not rows.empty:
                time_to_event[planned.code] = _time_to_event_raw(rows, plan, planned, (children or {}).get(planned.code))
        safe, totals = _safe_with_window_totals(data, plan, time_to_event, threshold, earlier_hidden, earlier_shown)
    else:
        safe = disclosure.safe_cells(data, threshold=threshold, earlier_hidden=earlier_hidden, earlier_shown=earlier_shown)
        totals = {}
    results = []
    for planned in ordered:
        rows = data[data["measure_code"] == planned.code]
        if planned.code in time_to_event:
            results.append(_time_to_event(time_to_event[planned.code], plan, planned, threshold, totals.get(planned.code)))
            continue
        if rows.empty:
            estimate = estimates.Estimate(
                design=plan.design,
                measure_code=planned.code,
                method="",
                conclusion="not estimable",
                reason="no data has been sent for this measure",
            )
            name, unit, polarity = planned.code, "", ""
        else:
            first = rows.iloc[0]
            name, unit, polarity = first.get("measure_name", planned.code), first["unit"], first["polarity"]
            if analyse is None or plan.windows is None:
                estimate = estimates.Estimate(
                    design=plan.design,
                    measure_code=planned.code,
                    method="",
                    conclusion="not estimable",
                    reason="the plan does not yet give a design and every date of its windows",
                )
            else:
                estimate = analyse(rows, plan.windows, measure_code=planned.code, planned_direction=planned.direction or None)
        results.append(MeasureResult(planned, str(name), unit, polarity, rounded(estimate)))
    unplanned = tuple(sorted(set(frame["measure_code"]) - set(planned_codes)))
    return Evidence(plan=plan, safe=safe, measures=tuple(results), threshold=threshold, unplanned=unplanned)


TIME_TO_EVENT = "time_to_event"
_OPPOSITE = {"higher": "lower", "lower": "higher", "increase": "decrease", "decrease": "increase"}
DAYS_NOTE = (
    "This measure counts days, so fewer days means more children with the event by the horizon: the difference is "
    "judged that way round."
)


@dataclass(frozen=True)
class _RawTimeToEvent:
    """A time-to-event measure's Kaplan-Meier estimate before disclosure control."""

    name: str
    unit: str
    polarity: str  # the measure's own
    notes: tuple[str, ...]
    estimate: estimates.Estimate
    template: pd.Series  # one of the measure's rows, for its window-total rows


def _time_to_event_raw(rows: pd.DataFrame, plan: PlanSpec, planned: PlannedMeasure, children) -> _RawTimeToEvent:
    first = rows.iloc[0]
    name, unit, polarity = str(first.get("measure_name", planned.code)), first["unit"], first["polarity"]
    direction = planned.direction or None
    notes = []
    if unit == "days":  # days to something: fewer days is the event sooner
        polarity, direction = _OPPOSITE.get(polarity, polarity), _OPPOSITE.get(direction, direction)
        notes.append(DAYS_NOTE)
    if children is None or not len(children):
        children = pd.DataFrame(columns=["group", "start_date", "event_date", "period_end"])
    if not children["start_date"].notna().any():
        reason = "no child-level rows with a start_date have been sent for this measure in the follow-up window"
        estimate = estimates.Estimate(
            design=TIME_TO_EVENT, measure_code=planned.code, method="", conclusion="not estimable", reason=reason
        )
    else:
        estimate = estimates.time_to_event(
            children,
            measure_code=planned.code,
            polarity=polarity,
            planned_direction=direction,
            intervention_group=plan.windows.intervention_group,
            comparison_group=plan.windows.comparison_group or "comparison",
            horizon_days=plan.horizon_days,
        )
    return _RawTimeToEvent(name, unit, str(first["polarity"]), tuple(notes), estimate, first)


def _time_to_event(raw: _RawTimeToEvent, plan: PlanSpec, planned: PlannedMeasure, threshold: int, totals) -> MeasureResult:
    """A measure under a time-to-event plan: Kaplan-Meier on its child rows, and what of it may be
    shown (reports.disclosure.safe_time_to_event, with `totals`: why each group's window totals
    are hidden, from `_safe_with_window_totals`). The result keeps no unsafe number: the raw
    curves and medians are replaced by the safe ones, and an estimate that would show a small group
    is not estimable."""
    name, unit, notes, estimate = raw.name, raw.unit, raw.notes, raw.estimate
    if estimate.method == "" and estimate.conclusion == "not estimable" and not estimate.diagnostics:
        return MeasureResult(planned, name, unit, raw.polarity, estimate)  # no child rows with start dates
    survival = disclosure.safe_time_to_event(estimate.chart, estimate.diagnostics, threshold=threshold, totals=totals)
    log_rank = (estimate.diagnostics.get("log_rank") or {}).get("p_value")
    if estimate.conclusion != "not estimable" and not survival.estimate_shown:
        estimate = estimates.Estimate(
            design=estimate.design,
            measure_code=planned.code,
            method=estimate.method,
            conclusion="not estimable",
            scale=estimate.scale,
            reason=survival.reason,
        )
        log_rank = None
    diagnostics = {"log_rank_p": None if log_rank is None else _clean(float(f"{log_rank:.{LOG_RANK_DIGITS}g}"))}
    estimate = replace(
        estimate,
        chart={"horizon_days": plan.horizon_days},
        diagnostics=diagnostics,
        limitations=tuple(estimate.limitations) + tuple(notes if estimate.conclusion != "not estimable" else ()),
    )
    return MeasureResult(planned, name, unit, raw.polarity, rounded(estimate), survival=survival)


# The window totals of a time-to-event measure. Each group's children and events (the curve's
# day-0 number at risk, its counts) are, when each child has one row in the follow-up window, the
# sums of the measure's cells over that window: children the denominators (days measures too),
# events the numerators (a count measure's values). So safe_cells is given, per group, one more
# row for the whole follow-up window carrying them, and audits it as it audits a total over
# periods: the window = the months within it + a hidden rest. A reader who subtracts the shown
# months from the totals then finds every hidden month's range at least the threshold wide (more
# months are hidden where needed), and a total is shown only where that row's cell is. When the
# totals are not those sums (children with several rows, events not the numerators), the row would
# not fit the model and cost the measure its relations, so the quantity that does not fit is left
# out of the row (events, then children, then both) and the curve's count it carries is hidden.
# The rows never reach an output: they are taken off the safe frame again. A group's curve is shown
# only when none of its cells in the window hides a count (reports.disclosure.safe_time_to_event).
_WINDOW_QUANTITIES = (("numerator", "denominator"), ("numerator",), ("denominator",), ())
_NOT_A_SUM = "not a sum of the cells"


def _group_names(plan: PlanSpec) -> dict[str, str]:
    """The groups' names in the frame, by their role."""
    return {"intervention": plan.windows.intervention_group, "comparison": plan.windows.comparison_group or "comparison"}


def _window_rows(data: pd.DataFrame, plan: PlanSpec, code: str, raw: _RawTimeToEvent, quantities) -> list[dict]:
    medians = raw.estimate.diagnostics.get("medians") or {}
    names = _group_names(plan)
    rows = []
    for label, summary in medians.items():
        n, events = int(summary["children"]), int(summary["events"])
        value = math.nan
        if raw.unit == "percentage" and len(quantities) == 2 and n:
            value = round(100 * events / n, disclosure.STORED_DECIMALS)
        elif raw.unit == "count" and "numerator" in quantities:
            value = float(events)
        rows.append(
            {
                **raw.template.to_dict(),
                "group": names[label],
                "period_start": plan.windows.follow_up_start,
                "period_end": plan.windows.follow_up_end,
                "value": value,
                "numerator": events if "numerator" in quantities else None,
                "denominator": n if "denominator" in quantities else None,
                "_label": label,
            }
        )
    return rows


def _safe_with_window_totals(data, plan, raws: Mapping[str, _RawTimeToEvent], threshold, earlier_hidden, earlier_shown):
    """safe_cells over the frame and each time-to-event measure's window-total rows (above), and per
    measure and group why its children and events are hidden (None: shown)."""
    choice = {code: 0 for code, raw in raws.items() if raw.estimate.diagnostics.get("medians")}
    levels, refit = {}, None  # refit: the measures whose relations to fit again (None: all)
    while True:  # the quantities each measure's window rows fit, found before the one audit
        extra = [row for code, k in choice.items() for row in _window_rows(data, plan, code, raws[code], _WINDOW_QUANTITIES[k])]
        frame = data
        if extra:
            windows = pd.DataFrame(extra)
            frame = pd.concat([data, windows.drop(columns="_label")], ignore_index=True)
        # A measure's relations are fitted on its own rows, so only those that changed are fitted again.
        fit = frame if refit is None else frame[frame["measure_code"].isin(refit)]
        levels.update(disclosure.fitted_levels(fit, threshold=threshold))
        refit = [
            code for code, k in choice.items() if _WINDOW_QUANTITIES[k] and levels.get(code) not in disclosure.RELATED_LEVELS
        ]
        if not refit:
            break
        for code in refit:
            choice[code] += 1
    safe = disclosure.safe_cells(frame, threshold=threshold, earlier_hidden=earlier_hidden, earlier_shown=earlier_shown)
    totals: dict[str, dict[str, tuple]] = {code: {} for code in raws}
    if extra:
        shown = safe.frame.iloc[len(data) :]
        for row, label in zip(shown.itertuples(index=False), windows["_label"], strict=True):
            quantities = _WINDOW_QUANTITIES[choice[row.measure_code]]
            why = {
                column: (getattr(row, disclosure.REASON_COLUMNS[column]) if column in quantities else _NOT_A_SUM)
                for column in ("denominator", "numerator")
            }
            totals[row.measure_code][label] = (why["denominator"], why["numerator"])
    cells = safe.frame.iloc[: len(data)]
    window = cells[
        (cells["period_start"] >= pd.Timestamp(plan.windows.follow_up_start))
        & (cells["period_end"] <= pd.Timestamp(plan.windows.follow_up_end))
        & cells["suppressed"]
    ]
    hidden = set(zip(window["measure_code"], window["group"], strict=True))
    names = _group_names(plan)
    for code in raws:
        for label in ("intervention", "comparison"):
            children, events = totals[code].get(label, (_NOT_A_SUM, _NOT_A_SUM))
            totals[code][label] = (children, events, (code, names[label]) in hidden)
    return replace(safe, frame=cells), totals


LOG_RANK_DIGITS = 3  # significant digits of the log-rank test's p-value


def rounded(estimate: estimates.Estimate) -> estimates.Estimate:
    """The estimate as shown: to the decimals the tables show, so that no output carries more
    precision than another (a finer estimate over shown periods could narrow a hidden cell)."""

    def r(x):
        return None if x is None else _clean(round(x, ESTIMATE_DECIMALS))

    return estimates.Estimate(
        **{
            **estimate.__dict__,
            "estimate": r(estimate.estimate),
            "ci_low": r(estimate.ci_low),
            "ci_high": r(estimate.ci_high),
            "relative_change": None if estimate.relative_change is None else _clean(round(estimate.relative_change, 3)),
            "smallest_detectable": r(estimate.smallest_detectable),
        }
    )


def _clean(x: float) -> float:
    return 0.0 if x == 0 else x  # never "-0.0"


# --- Snapshot ----------------------------------------------------------------------------------


def frame_checksum(frame: pd.DataFrame, children: Mapping[str, pd.DataFrame] | None = None) -> str:
    """SHA-256 of the data a report used, in a canonical form: the snapshot columns, rows sorted,
    numbers written the same way whatever their dtype; and, for a time-to-event plan, each
    measure's child rows (`children`, as `evidence_build` takes them; without any, the checksum is
    the frame's alone)."""
    data = frame.loc[:, [c for c in SNAPSHOT_COLUMNS if c in frame.columns]].copy()
    for column in ("period_start", "period_end"):
        data[column] = pd.to_datetime(data[column]).dt.strftime("%Y-%m-%d")
    data["value"] = [None if pd.isna(v) else f"{float(v):.4f}" for v in data["value"]]
    for column in ("numerator", "denominator"):
        data[column] = [None if pd.isna(v) else str(int(v)) for v in data[column]]
    data = data.astype(object).where(data.notna(), None)
    data = data.sort_values(["measure_code", "group", "period_start", "period_end"], kind="mergesort")
    body = json.dumps([list(data.columns), *data.to_numpy().tolist()], default=str, separators=(",", ":"))
    for code in sorted(children or {}):
        body += "\n" + code + "\n" + _children_text(children[code])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _children_text(rows: pd.DataFrame) -> str:
    """The child rows as JSON, sorted: ``[["group","start","event","end"], ...]``, dates as ISO text,
    a missing one null; written the way ``json.dumps(rows, separators=(",", ":"))`` writes them."""
    columns = ["group", "start_date", "event_date", "period_end"]
    data = rows.loc[:, columns].copy()
    for column in columns[1:]:
        data[column] = pd.to_datetime(data[column])
    data = data.sort_values(columns, kind="mergesort", na_position="first")
    # Each column's JSON text from the whole column at once, then one format per row: hundreds of
    # thousands of children over a few hundred days, so each distinct value is written once.
    parts = [_json_texts(data["group"])] + [_json_dates(data[column]) for column in columns[1:]]
    return "[" + ",".join(map("[{},{},{},{}]".format, *parts)) + "]"


def _json_texts(column: pd.Series, write: Callable = lambda value: json.dumps(value, default=str)) -> list[str]:
    """Each value of `column` as JSON text, written once per distinct value; a missing one null."""
    codes, uniques = pd.factorize(column)  # a missing value's code is -1: the last text, null
    texts = [write(value) for value in uniques] + ["null"]
    return [texts[code] for code in codes.tolist()]


def _json_dates(column: pd.Series) -> list[str]:
    return _json_texts(column, lambda day: f'"{day:%Y-%m-%d}"')


# --- Results JSON ------------------------------------------------------------------------------


def results_document(
    evidence: Evidence, *, report: str, evaluation: str, version: int, data_checksum: str, code_version: str
) -> dict:
    """The results JSON (the contract in the README): every suppressed cell is null, exactly as in
    the other outputs, and values carry the decimals the tables show; conclusion is one of
    estimates.CONCLUSIONS. An estimate's chart points and diagnostics are not in it: they are
    computed from every cell, hidden ones included."""
    cells_by_measure = _cells(evidence.safe.frame)
    plan = evidence.plan
    return {
        "format": RESULTS_FORMAT,
        "report": report,
        "version": version,
        "evaluation": evaluation,
        "plan_version": plan.version,
        "draft": evidence.draft,
        "design": plan.design,
        "windows": _windows(plan.windows),
        "data_checksum": data_checksum,
        "code_version": code_version,
        "threshold": evidence.threshold,
        "measures": [
            {
                "measure": m.planned.code,
                "name": m.name,
                "primary": m.planned.role == "primary",
                "unit": m.unit,
                "polarity": m.polarity,
                "expected_direction": m.planned.direction,
                "method": m.estimate.method,
                "scale": m.estimate.scale,
                "estimate": m.estimate.estimate,
                "ci_low": m.estimate.ci_low,
                "ci_high": m.estimate.ci_high,
                "relative_change": m.estimate.relative_change,
                "smallest_detectable": m.estimate.smallest_detectable,
                "conclusion": m.estimate.conclusion,
                "reason": m.estimate.reason,
                "limitations": list(m.estimate.limitations),
                "cells": cells_by_measure.get(m.planned.code, []),
                **({"time_to_event": _time_to_event_document(m)} if m.survival is not None else {}),
            }
            for m in evidence.measures
        ],
    }


def _time_to_event_document(result: MeasureResult) -> dict:
    """A time-to-event measure's safe curves and medians (the README's contract)."""
    survival = result.survival
    return {
        "horizon_days": survival.horizon_days,
        "log_rank_p": result.estimate.diagnostics.get("log_rank_p"),
        "groups": [
            {
                "group": g.group,
                "shown": g.shown,
                "children": g.children,
                "events": g.events,
                "median_days": g.median_days,
                "median_ci_low": g.median_ci_low,
                "median_ci_high": g.median_ci_high,
                "curve": [{"days": s.days, "percent_with_event": s.percent_with_event, "at_risk": s.at_risk} for s in g.steps],
            }
            for g in survival.groups
        ],
    }


def results_json(document: dict) -> bytes:
    """Canonical bytes: the same document always gives the same bytes."""
    return (json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def earlier_cells(documents: list[dict]) -> tuple[frozenset[str], dict[str, float]]:
    """(keys hidden, key -> value shown) over earlier versions' results JSON, for `evidence_build`.
    A cell hidden in any earlier version stays hidden; one shown with a value is public."""
    hidden: set[str] = set()
    shown: dict[str, float] = {}
    for document in documents:
        for measure in document.get("measures", []):
            for cell in measure.get("cells", []):
                for column in disclosure.CELL_COLUMNS:
                    key = disclosure.cell_key(measure["measure"], cell["group"], cell["period_start"], cell["period_end"], column)
                    if cell.get(column) is None:
                        if cell.get(f"{column}_hidden"):
                            hidden.add(key)
                    else:
                        shown.setdefault(key, cell[column])
            _earlier_window_totals(document, measure, hidden, shown)
    return frozenset(hidden), shown


def _earlier_window_totals(document: dict, measure: dict, hidden: set, shown: dict) -> None:
    """A time-to-event measure's group totals as an earlier version showed them: the cells of its
    window-total rows (see `_safe_with_window_totals`), so that a total shown before counts as
    public and one hidden before stays hidden."""
    windows, survival = document.get("windows"), measure.get("time_to_event")
    if not windows or not survival:
        return
    names = {"intervention": windows.get("intervention_group") or "intervention"}
    names["comparison"] = windows.get("comparison_group") or "comparison"
    start, end = windows["follow_up"]
    for group in survival.get("groups", []):
        for column, total in (("denominator", "children"), ("numerator", "events")):
            key = disclosure.cell_key(measure["measure"], names.get(group["group"], group["group"]), start, end, column)
            if group.get(total) is None:
                hidden.add(key)
            else:
                shown.setdefault(key, group[total])


def _cells(frame: pd.DataFrame) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    rows = disclosure.round_for_charts(frame).sort_values(
        ["measure_code", "period_start", "period_end", "group"], kind="mergesort"
    )
    for row in rows.itertuples(index=False):
        cell = {
            "period_start": f"{pd.Timestamp(row.period_start):%Y-%m-%d}",
            "period_end": f"{pd.Timestamp(row.period_end):%Y-%m-%d}",
            "group": row.group,
            "value": _number(row.value),
            "numerator": _whole(row.numerator),
            "denominator": _whole(row.denominator),
            "approved": bool(getattr(row, "approved", True)),
        }
        # Which nulls are suppressions (rather than numbers never sent): the next version keeps them hidden.
        for column in disclosure.CELL_COLUMNS:
            if getattr(row, disclosure.REASON_COLUMNS[column], None):
                cell[f"{column}_hidden"] = True
        out.setdefault(row.measure_code, []).append(cell)
    return out


def _number(x) -> float | None:
    if x is None or pd.isna(x):
        return None
    x = float(x)
    return _clean(round(x, disclosure.STORED_DECIMALS)) if math.isfinite(x) else None


def _whole(x) -> int | None:
    return None if x is None or pd.isna(x) else int(x)


def _windows(windows: estimates.AnalysisPlan | None) -> dict | None:
    if windows is None:
        return None
    return {
        "intervention_start": windows.intervention_start.isoformat(),
        "baseline": [windows.baseline_start.isoformat(), windows.baseline_end.isoformat()],
        "follow_up": [windows.follow_up_start.isoformat(), windows.follow_up_end.isoformat()],
        "intervention_group": windows.intervention_group,
        "comparison_group": windows.comparison_group,
    }
