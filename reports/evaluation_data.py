"""An evaluation's stored outcome values laid out for the practice team's pages: per measure, a table
(periods down, groups across) and a chart, which the table stands in for. Pure functions: the frame
of ``outcomes.selectors.outcome_frame`` in, rows and plotly figures out.

The practice team sees a partner's values as the partner sent them, as they do when approving a
period: these pages are not outputs, so nothing is suppressed (everything published goes through
``reports.analysis`` and ``reports.disclosure``)."""

from __future__ import annotations

import json
import math

import pandas as pd

from reports.analysis import GROUP_LABELS, GROUPS, UNIT_LABELS, measure_chart

NOT_ESTIMABLE = "not estimable"


def measure_tables(frame: pd.DataFrame) -> list[dict]:
    """One table a measure, in code order: its name, unit, groups (the columns), and a row a
    period with each group's value and counts (None where the group has no value) and whether the
    practice team has approved the period."""
    tables = []
    for code, rows in frame.groupby("measure_code", sort=True):
        present = set(rows["group"])
        groups = [group for group in GROUPS if group in present]
        periods = []
        for start, period_rows in rows.groupby("period_start", sort=True):
            by_group = {row.group: row for row in period_rows.itertuples()}
            periods.append(
                {
                    "start": start.date(),
                    "end": period_rows["period_end"].max().date(),
                    "approved": bool(period_rows["approved"].all()),
                    "cells": [_cell(by_group.get(group)) for group in groups],
                }
            )
        first = rows.iloc[0]
        tables.append(
            {
                "code": code,
                "name": first["measure_name"],
                "unit": UNIT_LABELS.get(first["unit"], first["unit"]),
                "groups": [GROUP_LABELS[group] for group in groups],
                "periods": periods,
            }
        )
    return tables


def measure_figures(frame: pd.DataFrame) -> dict[str, dict]:
    """Each measure's chart as plotly's JSON (data and layout, loaded as plain values), by measure
    code: the report's chart, every value shown."""
    # measure_chart insists on a frame that has been through suppression, so that a published chart
    # never shows a small count; here no value is hidden (see the module's docstring).
    shown = frame.assign(suppressed=False)
    return {code: json.loads(measure_chart(shown, code).to_json()) for code in sorted(set(frame["measure_code"]))}


def _cell(row) -> dict | None:
    if row is None:
        return None
    counts = ""
    if not _missing(row.numerator) and not _missing(row.denominator):
        counts = f"{int(row.numerator):,} of {int(row.denominator):,}"
    return {"value": NOT_ESTIMABLE if _missing(row.value) else number(row.value), "counts": counts}


def number(value: float) -> str:
    """A value as people read it: thousands separated, at most two decimal places, no trailing zeros."""
    shown = f"{float(value):,.2f}".rstrip("0").rstrip(".")
    return "0" if shown in ("-0", "") else shown


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
