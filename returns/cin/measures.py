"""The standard measures a CIN census feeds, by their published definitions, per period and group.
Pure: tables in, the ``MEASURE_COLUMNS`` frame out.

Each measure places a record in a period by one date (its "placing date"), and a group's
``from_date`` rule keeps only records whose placing date is on or after it. Earlier records in
the file count as history (a previous referral, an earlier plan) whatever the period or group.
Working days: ``numpy.busday_count`` semantics with weekends and England's bank holidays
(``returns.workdays``)."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from returns.types import MEASURE_COLUMNS, Group, Period, ReturnRead, population_year
from returns.workdays import working_days

ASSESSMENT_LIMIT = 45  # working days
ICPC_LIMIT = 15  # working days

MEASURES = (
    "cin_referrals",
    "re_referrals_12m",
    "referrals_nfa",
    "assessments_45_days",
    "days_referral_to_assessment",
    "icpc_15_days",
    "cp_plans_started",
    "repeat_cp_plans",
    "cp_plans_2_years",
    "cp_plans_rate",
)


@dataclass
class _Records:
    """One measure's records: each one's child and placing date, and (by statistic) whether it
    counts in the numerator or its number of days."""

    statistic: str  # count | proportion | median
    child: np.ndarray
    placed: np.ndarray  # datetime64[D]
    flag: np.ndarray | None = None
    days: np.ndarray | None = None


def _day(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype="datetime64[D]")


def _months_before(dates: pd.Series, months: int) -> pd.Series:
    return dates - pd.DateOffset(months=months)


def _records(read: ReturnRead) -> dict[str, _Records]:
    t = read.tables
    episodes = t["episodes"][t["episodes"]["referral_date"].notna()]
    records: dict[str, _Records] = {}

    # Referrals: each episode of need, placed by its CINreferralDate.
    child, referral = episodes["child"].to_numpy(), episodes["referral_date"]
    records["cin_referrals"] = _Records("count", child, _day(referral))
    # A re-referral: the child's latest earlier referral (another date) is within the 12 months before.
    distinct = episodes[["child", "referral_date"]].drop_duplicates().sort_values(["child", "referral_date"])
    distinct["previous"] = distinct.groupby("child")["referral_date"].shift()
    distinct["again"] = distinct["previous"].notna() & (distinct["previous"] >= _months_before(distinct["referral_date"], 12))
    again = episodes[["child", "referral_date"]].merge(distinct, on=["child", "referral_date"], how="left")["again"]
    records["re_referrals_12m"] = _Records("proportion", child, _day(referral), flag=again.to_numpy(dtype=bool))
    records["referrals_nfa"] = _Records("proportion", child, _day(referral), flag=episodes["referral_nfa"].to_numpy(dtype=bool))

    # Assessments authorised, placed by AssessmentAuthorisationDate.
    assessments = t["assessments"][t["assessments"]["authorisation_date"].notna() & t["assessments"]["start_date"].notna()]
    authorised = _day(assessments["authorisation_date"])
    within = working_days(_day(assessments["start_date"]), authorised) <= ASSESSMENT_LIMIT
    records["assessments_45_days"] = _Records("proportion", assessments["child"].to_numpy(), authorised, flag=within)
    referred = t["episodes"].set_index("episode")["referral_date"].reindex(assessments["episode"]).to_numpy(dtype="datetime64[D]")
    days = (authorised - referred).astype("timedelta64[D]").astype(float)
    known = ~np.isnan(days)
    records["days_referral_to_assessment"] = _Records(
        "median", assessments["child"].to_numpy()[known], authorised[known], days=days[known]
    )

    # Initial child protection conferences, placed by DateOfInitialCPC.
    s47 = t["section47"][t["section47"]["icpc_date"].notna() & t["section47"]["start_date"].notna()]
    held = _day(s47["icpc_date"])
    in_time = working_days(_day(s47["start_date"]), held) <= ICPC_LIMIT
    records["icpc_15_days"] = _Records("proportion", s47["child"].to_numpy(), held, flag=in_time)

    # Child protection plans: started (by CPPstartDate), repeat, and ended after 2 years or more (by CPPendDate).
    plans = t["cp_plans"][t["cp_plans"]["start_date"].notna()]
    started = _day(plans["start_date"])
    records["cp_plans_started"] = _Records("count", plans["child"].to_numpy(), started)
    earliest = plans.groupby("child")["start_date"].transform("min")
    repeat = (plans["previous_plans"] > 0) | (plans["start_date"] > earliest)
    records["repeat_cp_plans"] = _Records("proportion", plans["child"].to_numpy(), started, flag=repeat.to_numpy(dtype=bool))
    ended = plans[plans["end_date"].notna()]
    long = ended["end_date"] >= ended["start_date"] + pd.DateOffset(years=2)
    records["cp_plans_2_years"] = _Records(
        "proportion", ended["child"].to_numpy(), _day(ended["end_date"]), flag=long.to_numpy(dtype=bool)
    )
    return records


def _in_group(child: np.ndarray, placed: np.ndarray, group: Group) -> np.ndarray:
    mask = np.ones(len(child), dtype=bool)
    if group.children is not None:
        # A hash lookup (numpy's isin on object arrays compares every pair).
        mask &= pd.Series(child, dtype=object).isin(group.children).to_numpy() if group.children else False
    if group.from_date is not None:
        mask &= placed >= np.datetime64(group.from_date, "D")
    return mask


def measures(read: ReturnRead, *, periods: list[Period], groups: list[Group], population: dict[int, int]) -> pd.DataFrame:
    records = _records(read)
    out = []
    for code in MEASURES:
        if code == "cp_plans_rate":
            out += _rates(read, periods, groups, population)
            continue
        rec = records[code]
        for group in groups:
            member = _in_group(rec.child, rec.placed, group)
            for period in periods:
                mask = member & (rec.placed >= np.datetime64(period.start, "D")) & (rec.placed <= np.datetime64(period.end, "D"))
                out.append(_row(code, period, group, rec, mask))
    return pd.DataFrame(out, columns=MEASURE_COLUMNS, dtype=object)


def _row(code: str, period: Period, group: Group, rec: _Records, mask: np.ndarray) -> list:
    start, end = period.start, period.end
    if rec.statistic == "count":
        n = int(mask.sum())
        return [code, start, end, group.name, float(n), None, None]
    if rec.statistic == "proportion":
        denominator = int(mask.sum())
        numerator = int(rec.flag[mask].sum())
        value = 100.0 * numerator / denominator if denominator else None
        return [code, start, end, group.name, value, numerator, denominator]
    chosen = rec.days[mask]
    value = float(np.median(chosen)) if len(chosen) else None
    return [code, start, end, group.name, value, None, None]


def _rates(read: ReturnRead, periods: list[Period], groups: list[Group], population: dict[int, int]) -> list[list]:
    """Children on a child protection plan at the period's end (started on or before it, not ended
    by it) per 10,000 children aged 0 to 17 (the ONS mid-year estimate in force that day). The
    population is the whole area's, so the rate is estimable for the "all" group only; without the
    year's population it is not estimable (value empty), never guessed."""
    plans = read.tables["cp_plans"]
    plans = plans[plans["start_date"].notna()]
    child = plans["child"].to_numpy()
    started, ended = _day(plans["start_date"]), _day(plans["end_date"])
    out = []
    for group in groups:
        member = _in_group(child, started, group)
        whole_area = group.children is None and group.from_date is None
        for period in periods:
            day = np.datetime64(period.end, "D")
            open_then = member & (started <= day) & (np.isnat(ended) | (ended > day))
            numerator = int(pd.unique(child[open_then]).size)
            people = population.get(population_year(period.end)) if whole_area else None
            value = 10_000.0 * numerator / people if people else None
            out.append(["cp_plans_rate", period.start, period.end, group.name, value, numerator, people or None])
    return out
