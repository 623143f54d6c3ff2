"""The standard children-looked-after measures from an SSDA903 return (definitions in
measures/library.py, which these functions follow; DfE's "Children looked after in England"
methodology where the library is silent).

Conventions, for every measure here:
* Episodes under an agreed series of short-term breaks (legal status V3, V4) are left out, as DfE
  leaves them out of its looked-after figures.
* A period the return does not cover is not estimable (value, numerator and denominator None),
  never 0. The return covers whole collection years (1 April to 31 March): from the year of its
  earliest episode end (or its latest episode start, if sooner) to the year of its latest date. A
  return of one year holds only the episodes open in that year, so earlier periods are unknown.
* A group's ``children`` keep the rows of those children; its ``from_date`` keeps the records whose
  group-rule date is on or after it: an event's own date (entry, exit, missing incident, a care
  leaver's birthday) or, for children counted at a date or over a period (looked after at the end,
  looked after during it), the start of the child's period of care.
"""

from datetime import date

import pandas as pd

from returns.types import MEASURE_COLUMNS, Group, Period, ReturnRead

from .tables import (
    ADOPTED_REC,
    CONTINUES_REC,
    NEW_PLACEMENT_RNE,
    RETURNED_HOME_REC,
    SHORT_BREAKS_LS,
    SPECIAL_GUARDIANSHIP_REC,
)

MEASURES = (
    "entries_to_care",
    "re_entries_12m",
    "cla_count",
    "cla_rate",
    "placements_3_plus",
    "missing_from_care",
    "missing_incidents",
    "away_from_care",
    "away_incidents",
    "care_leavers_eet",
    "care_leavers_accommodation",
    "exits_adoption",
    "exits_special_guardianship",
    "exits_return_home",
)
EXIT_REASONS = {
    "exits_adoption": ADOPTED_REC,
    "exits_special_guardianship": SPECIAL_GUARDIANSHIP_REC,
    "exits_return_home": RETURNED_HOME_REC,
}
CARE_LEAVER_AGES = (19, 20, 21)
YEAR = pd.DateOffset(years=1)


def _ts(day: date) -> pd.Timestamp:
    return pd.Timestamp(day)


def collection_years(read: ReturnRead) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The first and last day the return covers (whole collection years), or None if it has no episodes."""
    episodes = read.tables["episodes"]
    if episodes["decom"].notna().sum() == 0:
        return None
    anchor = min(d for d in (episodes["dec"].min(), episodes["decom"].max()) if pd.notna(d))
    latest = max(
        d for d in (episodes["decom"].max(), episodes["dec"].max(), read.tables["missing"]["mis_start"].max())
        if pd.notna(d)
    )  # fmt: skip
    start_year = anchor.year if anchor.month >= 4 else anchor.year - 1
    end_year = latest.year + 1 if latest.month >= 4 else latest.year
    return pd.Timestamp(start_year, 4, 1), pd.Timestamp(end_year, 3, 31)


def care_episodes(read: ReturnRead) -> pd.DataFrame:
    """Episodes in order, short breaks left out, each with the start of its period of care
    (``spell_start``) and whether it begins a placement with new carers (``new_placement``)."""
    episodes = read.tables["episodes"]
    episodes = episodes[episodes["decom"].notna() & episodes["child"].notna() & ~episodes["ls"].isin(SHORT_BREAKS_LS)]
    episodes = episodes.sort_values(["child", "decom"], kind="stable").reset_index(drop=True)
    child = episodes["child"]
    first = child.ne(child.shift())
    follows_on = episodes["decom"].eq(episodes["dec"].shift()) & episodes["rec"].shift().eq(CONTINUES_REC)
    new_spell = first | episodes["rne"].eq("S") | ~follows_on
    spell = new_spell.cumsum()
    episodes["spell_start"] = episodes["decom"].groupby(spell).transform("first")
    episodes["new_placement"] = episodes["rne"].isin(NEW_PLACEMENT_RNE).to_numpy()
    episodes["exit"] = episodes["dec"].notna() & episodes["rec"].notna() & episodes["rec"].ne(CONTINUES_REC)
    return episodes


def _re_entries(episodes: pd.DataFrame) -> pd.DataFrame:
    """Entries to care (RNE = S) and whether the child had left care in the 12 months before."""
    entries = episodes.loc[episodes["rne"].eq("S"), ["child", "decom"]].reset_index(drop=True)
    exits = episodes.loc[episodes["exit"], ["child", "dec"]]
    pairs = entries.reset_index().merge(exits, on="child")
    recent = pairs[(pairs["dec"] <= pairs["decom"]) & (pairs["dec"] >= pairs["decom"] - YEAR)]
    entries["re_entry"] = entries.index.isin(recent["index"])
    return entries


def _row(measure, period, group, value, numerator, denominator) -> dict:
    return {
        "measure": measure, "period_start": period.start, "period_end": period.end, "group": group.name,
        "value": None if value is None else float(value),
        "numerator": None if numerator is None else int(numerator),
        "denominator": None if denominator is None else int(denominator),
    }  # fmt: skip


def _proportion(measure, period, group, numerator, denominator) -> dict:
    value = 100 * numerator / denominator if denominator else None
    return _row(measure, period, group, value, numerator, denominator)


def _count(measure, period, group, count) -> dict:
    return _row(measure, period, group, count, count, None)


def _in(frame: pd.DataFrame, column: str, period: Period) -> pd.Series:
    return frame[column].between(_ts(period.start), _ts(period.end))


def _children(frame: pd.DataFrame, group: Group) -> pd.DataFrame:
    return frame if group.children is None else frame[frame["child"].isin(group.children)]


def _since(frame: pd.DataFrame, column: str, group: Group) -> pd.DataFrame:
    return frame if group.from_date is None else frame[frame[column] >= _ts(group.from_date)]


def _looked_after_at(episodes: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The episode each child is in at the end of ``day`` (one a child: episodes do not overlap)."""
    open_ = episodes[(episodes["decom"] <= day) & (episodes["dec"].isna() | (episodes["dec"] > day))]
    return open_.drop_duplicates("child", keep="last")


def _placements_in_year_to(episodes: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    """Placements each child had in the 12 months to ``day``: the placement held when the 12 months
    began (or the first one in them) counts one, and each later episode beginning a placement with
    new carers (RNE S, P or T) one more."""
    window_start = day - YEAR
    within = episodes[(episodes["decom"] <= day) & (episodes["dec"].isna() | (episodes["dec"] > window_start))]
    first = within["child"].ne(within["child"].shift())
    return (first | within["new_placement"]).groupby(within["child"]).sum()


def _care_leavers(oc3: pd.DataFrame, period: Period) -> pd.DataFrame:
    """OC3 rows of young people whose 19th, 20th or 21st birthday falls in the period (their date of
    birth is known to the month, so the birthday is taken as the first of that month), with the
    birthday; those who have died are left out."""
    oc3 = oc3[oc3["dob"].notna() & oc3["in_touch"].ne("DIED").fillna(True)]
    found = []
    for age in CARE_LEAVER_AGES:
        birthday = oc3["dob"] + pd.DateOffset(years=age)
        hit = birthday.between(_ts(period.start), _ts(period.end))
        found.append(oc3[hit].assign(birthday=birthday[hit]))
    leavers = pd.concat(found)
    return leavers[~leavers.index.duplicated(keep="first")]


def measures(read: ReturnRead, *, periods: list[Period], groups: list[Group], population: dict[int, int]) -> pd.DataFrame:
    """Every SSDA903 measure for each period and group (MEASURE_COLUMNS)."""
    covered = collection_years(read)
    all_episodes = care_episodes(read)
    all_entries = _re_entries(all_episodes)
    all_exits = all_episodes[all_episodes["exit"]]
    missing = read.tables["missing"]
    missing = missing[missing["mis_start"].notna() & missing["child"].notna()]
    oc3 = read.tables["oc3"]
    rows = []
    for group in groups:
        episodes = _children(all_episodes, group)
        entries = _since(_children(all_entries, group), "decom", group)
        exits = _since(_children(all_exits, group), "dec", group)
        incidents = _since(_children(missing, group), "mis_start", group)
        leavers_table = _children(oc3, group)
        for period in periods:
            start, end = _ts(period.start), _ts(period.end)
            if covered is None or start < covered[0] or end > covered[1]:
                rows.extend(_row(code, period, group, None, None, None) for code in MEASURES)
                continue
            # Entries and re-entries: children starting to be looked after in the period (the first time in it).
            started = entries[_in(entries, "decom", period)].drop_duplicates("child", keep="first")
            rows.append(_count("entries_to_care", period, group, len(started)))
            rows.append(_proportion("re_entries_12m", period, group, int(started["re_entry"].sum()), len(started)))
            # Looked after at the end of the period.
            at_end = _since(_looked_after_at(episodes, end), "spell_start", group)
            rows.append(_count("cla_count", period, group, len(at_end)))
            people = population.get(end.year)
            if people:
                rows.append(_row("cla_rate", period, group, 10_000 * len(at_end) / people, len(at_end), people))
            else:
                rows.append(_row("cla_rate", period, group, None, len(at_end), None))
            # Three or more placements in the 12 months to the period end: the 12 months must be covered.
            if end - YEAR + pd.Timedelta(days=1) < covered[0]:
                rows.append(_row("placements_3_plus", period, group, None, None, None))
            else:
                placements = _placements_in_year_to(episodes, end)
                three = int((placements.reindex(at_end["child"]).fillna(0) >= 3).sum())
                rows.append(_proportion("placements_3_plus", period, group, three, len(at_end)))
            # Missing and away: children looked after in the period, incidents starting in it.
            during = episodes[(episodes["decom"] <= end) & (episodes["dec"].isna() | (episodes["dec"] >= start))]
            looked_after = set(_since(during, "spell_start", group)["child"])
            in_period = incidents[_in(incidents, "mis_start", period)]
            for kind, share, count in (("M", "missing_from_care", "missing_incidents"),
                                       ("A", "away_from_care", "away_incidents")):  # fmt: skip
                these = in_period[in_period["missing"].eq(kind)]
                rows.append(_count(count, period, group, len(these)))
                children = len(set(these["child"]) & looked_after)
                rows.append(_proportion(share, period, group, children, len(looked_after)))
            # Care leavers aged 19 to 21 (OC3), placed in the period by their birthday.
            leavers = _since(_care_leavers(leavers_table, period), "birthday", group)
            eet = leavers["activ"].str[:1].isin(["F", "P"]).fillna(False)
            suitable = leavers["accom"].str[1:2].eq("1").fillna(False)
            rows.append(_proportion("care_leavers_eet", period, group, int(eet.sum()), len(leavers)))
            rows.append(_proportion("care_leavers_accommodation", period, group, int(suitable.sum()), len(leavers)))
            # Exits: children ceasing to be looked after in the period, by the last time they left in it.
            left = exits[_in(exits, "dec", period)].drop_duplicates("child", keep="last")
            for code, reasons in EXIT_REASONS.items():
                rows.append(_proportion(code, period, group, int(left["rec"].isin(reasons).sum()), len(left)))
    # object columns: a value is a float or None, a numerator or denominator an int or None.
    return pd.DataFrame({column: pd.Series([row[column] for row in rows], dtype=object) for column in MEASURE_COLUMNS})
