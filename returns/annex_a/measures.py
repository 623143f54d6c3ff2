"""The standard measures an Annex A workbook can feed, by the library's definitions, from its lists:
referrals (list 3), assessments (4), section 47 enquiries and ICPCs (5), child protection plans (7)
and children looked after (8).

An Annex A workbook holds the records of a window before the inspection (often six or twelve
months), so a period is estimable only inside that window (``window``), and only from a list the
workbook has. Earlier records of the same
child in the list count as history (re-referrals, repeat plans). A group's ``children`` keep the
rows of those children; its ``from_date`` keeps the records whose placing date is on or after it
(for children looked after at the period end, the date they started to be looked after).

Where a list gives a field the measure could come from two ways, the one that means the same in
every council's list is used: re-referrals come from the list's own referral dates (the "number
of referrals in the last 12 months" column is filled with or without the referral itself), repeat
plans from "number of previous plans" or an earlier plan in the list, re-entries to care from the
list's "second or subsequent period within 12 months" answer. The "number of placements in the
last 12 months" is a figure at the list's date only, so 3+ placements is not fed from Annex A."""

import pandas as pd

from returns.types import MEASURE_COLUMNS, Group, Period, ReturnRead
from returns.workdays import working_days

MEASURES = (
    "cin_referrals",
    "re_referrals_12m",
    "referrals_nfa",
    "assessments_45_days",
    "icpc_15_days",
    "cp_plans_started",
    "repeat_cp_plans",
    "cp_plans_2_years",
    "entries_to_care",
    "re_entries_12m",
    "cla_count",
    "exits_adoption",
    "exits_special_guardianship",
    "exits_return_home",
)
YEAR = pd.DateOffset(years=1)
EXIT_REASONS = {  # the reason as the list reader keeps it: an SSDA903 code, or a category from the words
    "exits_adoption": {"E11", "E12", "ADOPTED"},
    "exits_special_guardianship": {"E45", "E46", "E47", "E48", "SPECIAL_GUARDIANSHIP"},
    "exits_return_home": {"E4A", "E4B", "RETURNED_HOME"},
}


def _row(measure, period, group, value, numerator, denominator) -> dict:
    return {
        "measure": measure, "period_start": period.start, "period_end": period.end, "group": group.name,
        "value": None if value is None else float(value),
        "numerator": None if numerator is None else int(numerator),
        "denominator": None if denominator is None else int(denominator),
    }  # fmt: skip


def _proportion(code, period, group, numerator, denominator):
    return _row(code, period, group, 100 * numerator / denominator if denominator else None, numerator, denominator)


def _count(code, period, group, count):
    return _row(code, period, group, count, count, None)


def window(read: ReturnRead) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The months the workbook's lists cover: from the first of the month of its earliest event
    (a referral, a section 47 enquiry's start; failing those an assessment's authorisation or a
    plan's start) to the end of the month of its latest date of any kind."""
    tables = read.tables
    events = [tables["referrals"]["referral_date"], tables["section_47"]["s47_start"]]
    if all(e.dropna().empty for e in events):
        events = [tables["assessments"]["authorised"], tables["protection_plans"]["plan_start"],
                  tables["looked_after"]["ceased"]]  # fmt: skip
    every = [frame[c] for frame in tables.values() for c in frame.columns if c != "dob" and frame[c].dtype.kind == "M"]
    first = pd.concat([e.dropna() for e in events]) if events else pd.Series(dtype="datetime64[ns]")
    last = pd.concat([e.dropna() for e in every]) if every else pd.Series(dtype="datetime64[ns]")
    if first.empty or last.empty:
        return None
    return first.min().to_period("M").to_timestamp(), last.max().to_period("M").to_timestamp(how="end").normalize()


def _covers(window, period: Period) -> bool:
    return window is not None and pd.Timestamp(period.start) >= window[0] and pd.Timestamp(period.end) <= window[1]


def _select(frame: pd.DataFrame, group: Group, date_column: str | None) -> pd.DataFrame:
    if group.children is not None:
        frame = frame[frame["child"].isin(group.children)]
    if group.from_date is not None and date_column is not None:
        frame = frame[frame[date_column] >= pd.Timestamp(group.from_date)]
    return frame


def _in(frame: pd.DataFrame, column: str, period: Period) -> pd.Series:
    return frame[column].between(pd.Timestamp(period.start), pd.Timestamp(period.end))


def _prepare(read: ReturnRead) -> dict:
    referrals = read.tables["referrals"].dropna(subset=["child", "referral_date"])
    referrals = referrals.sort_values(["child", "referral_date"], kind="stable").reset_index(drop=True)
    previous = referrals.groupby("child")["referral_date"].shift()
    referrals["re_referral"] = (previous.notna() & (previous >= referrals["referral_date"] - YEAR)).to_numpy(dtype=bool)
    assessments = read.tables["assessments"].dropna(subset=["child", "start", "authorised"]).copy()
    assessments["within"] = working_days(assessments["start"], assessments["authorised"]) <= 45
    s47 = read.tables["section_47"].dropna(subset=["child", "s47_start", "icpc_date"]).copy()
    s47["within"] = working_days(s47["s47_start"], s47["icpc_date"]) <= 15
    plans = read.tables["protection_plans"].dropna(subset=["child", "plan_start"])
    plans = plans.sort_values(["child", "plan_start"], kind="stable").reset_index(drop=True)
    earlier = plans["child"].eq(plans["child"].shift()).fillna(False)
    plans["repeat"] = (earlier | plans["previous_plans"].fillna(0).gt(0)).to_numpy(dtype=bool)
    plans["two_years"] = (plans["plan_end"] >= plans["plan_start"] + pd.DateOffset(years=2)).fillna(False)
    looked_after = read.tables["looked_after"].dropna(subset=["child", "started"])
    looked_after = looked_after.sort_values(["child", "started"], kind="stable").reset_index(drop=True)
    return {"referrals": referrals, "assessments": assessments, "section_47": s47, "plans": plans,
            "looked_after": looked_after}  # fmt: skip


def measures(read: ReturnRead, *, periods: list[Period], groups: list[Group], population: dict[int, int]) -> pd.DataFrame:
    """Every measure the workbook's lists feed, for each period and group (MEASURE_COLUMNS)."""
    lists = _prepare(read)
    covered = window(read)
    has = {name: not frame.empty for name, frame in lists.items()}
    rows = []
    for group in groups:
        referrals = _select(lists["referrals"], group, "referral_date")
        assessments = _select(lists["assessments"], group, "authorised")
        s47 = _select(lists["section_47"], group, "icpc_date")
        started_plans = _select(lists["plans"], group, "plan_start")
        ended_plans = _select(lists["plans"], group, "plan_end")
        looked_after = _select(lists["looked_after"], group, "started")
        left = _select(lists["looked_after"], group, "ceased")
        for period in periods:
            out = []
            if has["referrals"] and _covers(covered, period):
                these = referrals[_in(referrals, "referral_date", period)]
                out += [
                    _count("cin_referrals", period, group, len(these)),
                    _proportion("re_referrals_12m", period, group, int(these["re_referral"].sum()), len(these)),
                    _proportion("referrals_nfa", period, group, int(these["nfa"].fillna(False).sum()), len(these)),
                ]
            if has["assessments"] and _covers(covered, period):
                these = assessments[_in(assessments, "authorised", period)]
                out.append(_proportion("assessments_45_days", period, group, int(these["within"].sum()), len(these)))
            if has["section_47"] and _covers(covered, period):
                these = s47[_in(s47, "icpc_date", period)]
                out.append(_proportion("icpc_15_days", period, group, int(these["within"].sum()), len(these)))
            if has["plans"] and _covers(covered, period):
                these = started_plans[_in(started_plans, "plan_start", period)]
                ended = ended_plans[_in(ended_plans, "plan_end", period)]
                out += [
                    _count("cp_plans_started", period, group, len(these)),
                    _proportion("repeat_cp_plans", period, group, int(these["repeat"].sum()), len(these)),
                    _proportion("cp_plans_2_years", period, group, int(ended["two_years"].sum()), len(ended)),
                ]
            if has["looked_after"] and _covers(covered, period):
                entered = looked_after[_in(looked_after, "started", period)].drop_duplicates("child", keep="first")
                end = pd.Timestamp(period.end)
                open_at_end = looked_after[(looked_after["started"] <= end)
                                           & (looked_after["ceased"].isna() | (looked_after["ceased"] > end))]  # fmt: skip
                ceased = left[_in(left, "ceased", period)].drop_duplicates("child", keep="last")
                reasons = ceased["reason_ceased"].fillna("")
                out += [
                    _count("entries_to_care", period, group, len(entered)),
                    _proportion("re_entries_12m", period, group, int(entered["second_period"].fillna(False).sum()),
                                len(entered)),
                    _count("cla_count", period, group, open_at_end["child"].nunique()),
                ] + [
                    _proportion(code, period, group, int(reasons.isin(codes).sum()), len(ceased))
                    for code, codes in EXIT_REASONS.items()
                ]  # fmt: skip
            given = {r["measure"] for r in out}
            out += [_row(code, period, group, None, None, None) for code in MEASURES if code not in given]
            rows += sorted(out, key=lambda r: MEASURES.index(r["measure"]))
    return pd.DataFrame({column: pd.Series([row[column] for row in rows], dtype=object) for column in MEASURE_COLUMNS})


__all__ = ["MEASURES", "measures"]
