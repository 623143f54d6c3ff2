"""The standard children-looked-after measures from an SSDA903 return (definitions in
measures/library.py, which these functions follow; DfE's "Children looked after in England"
methodology where the library is silent).

Conventions, for every measure here:
* Episodes under an agreed series of short-term breaks (legal status V3, V4) are left out, as DfE
  leaves them out of its looked-after figures.
* A period the return does not cover is not estimable (value, numerator and denominator None),
  never 0. The return covers whole collection years (1 April to 31 March): from the year of its
  earliest episode end (or its latest episode start, if sooner) to the year of its latest episode
  start (an end dated past that year adds no year). A
  return of one year holds only the episodes open in that year, so earlier periods are unknown.
* A group's ``children`` keep the rows of those children; its ``from_date`` keeps the records whose
  group-rule date is on or after it: an event's own date (entry, exit, missing incident, a care
  leaver's birthday) or, for children counted at a date or over a period (looked after at the end,
  looked after during it), the start of the child's period of care (a period of care that began
  before the return, whose start the return does not hold, counts as before any rule's date).
"""

import numpy as np
import pandas as pd

from returns.types import MEASURE_COLUMNS, Group, Period, ReturnRead, population_year

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


def collection_years(read: ReturnRead) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The first and last day the return covers (whole collection years), or None if it has no episodes."""
    episodes = read.tables["episodes"]
    if episodes["decom"].notna().sum() == 0:
        return None
    anchor = min(d for d in (episodes["dec"].min(), episodes["decom"].max()) if pd.notna(d))
    # The last year is that of the latest episode start: a return holds starts in every year it covers, and an
    # end (or a missing incident) dated past the year (a date DfE's checks refuse) must not add a year of figures
    # the return never held.
    latest = episodes["decom"].max()
    start_year = anchor.year if anchor.month >= 4 else anchor.year - 1
    end_year = latest.year + 1 if latest.month >= 4 else latest.year
    return pd.Timestamp(start_year, 4, 1), pd.Timestamp(end_year, 3, 31)


def care_episodes(read: ReturnRead) -> pd.DataFrame:
    """Episodes in order, short breaks left out, each with the start of its period of care
    (``spell_start``) and whether it begins a placement with new carers (``new_placement``)."""
    episodes = read.tables["episodes"]
    keep = episodes["decom"].notna() & episodes["child"].notna() & ~episodes["ls"].isin(SHORT_BREAKS_LS).fillna(False)
    episodes = episodes[keep.to_numpy(dtype=bool)]
    episodes = episodes.sort_values(["child", "decom"], kind="stable").reset_index(drop=True)
    child = episodes["child"].to_numpy(dtype=object)
    rne = episodes["rne"].fillna("").to_numpy(dtype=object)
    rec = episodes["rec"].fillna("").to_numpy(dtype=object)
    decom, dec = episodes["decom"].to_numpy(), episodes["dec"].to_numpy()
    first = np.r_[True, child[1:] != child[:-1]]
    # An episode carries on its period of care when the one before ended that day with X1.
    follows_on = np.r_[False, (decom[1:] == dec[:-1]) & (rec[:-1] == CONTINUES_REC)]
    new_spell = first | (rne == "S") | ~follows_on
    spell = np.cumsum(new_spell)
    # A period of care whose first episode in the return is not a start (RNE = S) began before the
    # return: its start is unknown (NaT), and counts as before any group rule's date.
    starts = pd.Series(np.where(rne == "S", decom, np.datetime64("NaT")), index=episodes.index)
    episodes["spell_start"] = starts.groupby(spell).transform("first")
    episodes["new_placement"] = np.isin(rne, list(NEW_PLACEMENT_RNE))
    episodes["exit"] = episodes["dec"].notna().to_numpy() & (rec != "") & (rec != CONTINUES_REC)
    return episodes


def _re_entries(episodes: pd.DataFrame) -> pd.DataFrame:
    """Entries to care (RNE = S) and whether the child had left care in the 12 months before: an
    earlier episode (in the child's order) ended with a reason other than X1 on or before the entry
    and within the 12 months. An episode that starts and ends on one day is not its own history."""
    entries = episodes.loc[episodes["rne"].eq("S").fillna(False).to_numpy(dtype=bool), ["child", "decom"]]
    entries = entries.rename_axis("episode").reset_index()
    exits = episodes.loc[episodes["exit"], ["child", "dec"]].rename_axis("left").reset_index()
    pairs = entries.reset_index().merge(exits, on="child")
    recent = pairs[
        (pairs["left"] < pairs["episode"]) & (pairs["dec"] <= pairs["decom"]) & (pairs["dec"] >= pairs["decom"] - YEAR)
    ]
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


NEVER = np.iinfo(np.int64).max  # an open episode's end


def _days(values: pd.Series, missing: int = NEVER) -> np.ndarray:
    """Dates as whole days (int64), ``missing`` where there is none."""
    days = values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    out = days.astype(np.int64)
    out[np.isnat(days)] = missing
    return out


def _day(value) -> int:
    return int(np.datetime64(pd.Timestamp(value).date(), "D").astype(np.int64))


class _Arrays:
    """A table as numpy arrays (children as integer codes), for fast masks period after period."""

    def __init__(self, frame: pd.DataFrame, codes: dict[str, int], dates: dict[str, int]):
        self.child = frame["child"].map(codes).fillna(-1).to_numpy(dtype=np.int64)
        for column, missing in dates.items():
            setattr(self, column, _days(frame[column], missing))
        self.frame = frame

    def keep(self, mask: np.ndarray) -> "_Arrays":
        out = object.__new__(_Arrays)
        for name, value in vars(self).items():
            setattr(out, name, value[mask] if isinstance(value, np.ndarray) else value)
        out.frame = self.frame[mask]
        return out


def _for_group(arrays: _Arrays, group: Group, codes: dict[str, int], rule_column: str | None) -> _Arrays:
    """The rows of the group's children and, if it has a rule, those whose ``rule_column`` date is
    on or after its date."""
    mask = np.ones(len(arrays.child), dtype=bool)
    if group.children is not None:
        members = np.array([codes[c] for c in group.children if c in codes], dtype=np.int64)
        mask &= np.isin(arrays.child, members)
    if group.from_date is not None and rule_column is not None:
        mask &= getattr(arrays, rule_column) >= _day(group.from_date)
    return arrays.keep(mask)


class _Leavers:
    """OC3 rows as arrays: each young person's 19th, 20th and 21st birthdays (their date of birth is
    known to the month, so a birthday is taken as the first of that month), whether they are in
    education, employment or training (ACTIV F* or P*) and in suitable accommodation (ACCOM ending
    in 1). Those who have died are left out."""

    def __init__(self, oc3: pd.DataFrame):
        oc3 = oc3[(oc3["dob"].notna() & oc3["in_touch"].ne("DIED").fillna(True)).to_numpy(dtype=bool)]
        self.child = oc3["child"].to_numpy(dtype=object)
        self.birthdays = np.stack(
            [_days(oc3["dob"] + pd.DateOffset(years=age)) for age in CARE_LEAVER_AGES]
        ) if len(oc3) else np.empty((len(CARE_LEAVER_AGES), 0), dtype=np.int64)  # fmt: skip
        self.eet = oc3["activ"].str[:1].isin(["F", "P"]).fillna(False).to_numpy(dtype=bool)
        self.suitable = oc3["accom"].str[1:2].eq("1").fillna(False).to_numpy(dtype=bool)

    def members(self, group: Group) -> np.ndarray:
        """Which rows are of the group's children."""
        if group.children is None:
            return np.ones(len(self.child), dtype=bool)
        return np.fromiter((child in group.children for child in self.child), dtype=bool, count=len(self.child))

    def in_period(self, start: int, end: int, group: Group, members: np.ndarray) -> np.ndarray:
        """Which young people are care leavers aged 19 to 21 in the period (a birthday in it), and
        for a rule group, with that birthday on or after its date."""
        hit = (self.birthdays >= start) & (self.birthdays <= end)
        if group.from_date is not None:
            hit &= self.birthdays >= _day(group.from_date)
        return hit.any(axis=0) & members


def measures(read: ReturnRead, *, periods: list[Period], groups: list[Group], population: dict[int, int]) -> pd.DataFrame:
    """Every SSDA903 measure for each period and group (MEASURE_COLUMNS)."""
    covered = collection_years(read)
    episodes_frame = care_episodes(read)
    missing_frame = read.tables["missing"]
    missing_frame = missing_frame[missing_frame["mis_start"].notna() & missing_frame["child"].notna()]
    children = pd.concat([episodes_frame["child"], missing_frame["child"]]).dropna().unique()
    codes = {child: number for number, child in enumerate(children)}
    entries_frame = _re_entries(episodes_frame)
    all_episodes = _Arrays(episodes_frame, codes, {"decom": NEVER, "dec": NEVER, "spell_start": np.iinfo(np.int64).min})
    all_episodes.new_placement = episodes_frame["new_placement"].to_numpy(dtype=bool)
    all_entries = _Arrays(entries_frame, codes, {"decom": NEVER})
    all_entries.re_entry = entries_frame["re_entry"].to_numpy(dtype=bool)
    exits_frame = episodes_frame[episodes_frame["exit"]]
    all_exits = _Arrays(exits_frame, codes, {"dec": NEVER})
    all_exits.rec = exits_frame["rec"].to_numpy(dtype=object)
    all_missing = _Arrays(missing_frame, codes, {"mis_start": NEVER})
    all_missing.kind = missing_frame["missing"].to_numpy(dtype=object)
    leavers = _Leavers(read.tables["oc3"])
    n = len(codes) + 1
    rows = []
    for group in groups:
        episodes = _for_group(all_episodes, group, codes, None)
        entries = _for_group(all_entries, group, codes, "decom")
        exits = _for_group(all_exits, group, codes, "dec")
        incidents = _for_group(all_missing, group, codes, "mis_start")
        rule_day = _day(group.from_date) if group.from_date is not None else None
        members = leavers.members(group)
        for period in periods:
            start, end = _day(period.start), _day(period.end)
            if covered is None or pd.Timestamp(period.start) < covered[0] or pd.Timestamp(period.end) > covered[1]:
                rows.extend(_row(code, period, group, None, None, None) for code in MEASURES)
                continue
            # Entries and re-entries: children starting to be looked after in the period (the first time in it).
            hit = (entries.decom >= start) & (entries.decom <= end)
            started, first = np.unique(entries.child[hit], return_index=True)
            re_entries = int(entries.re_entry[hit][first].sum())
            rows.append(_count("entries_to_care", period, group, len(started)))
            rows.append(_proportion("re_entries_12m", period, group, re_entries, len(started)))
            # Looked after at the end of the period (the group rule: the period of care began on or after its date).
            open_at_end = (episodes.decom <= end) & (episodes.dec > end)
            if rule_day is not None:
                open_at_end &= episodes.spell_start >= rule_day
            at_end = np.unique(episodes.child[open_at_end])
            rows.append(_count("cla_count", period, group, len(at_end)))
            # The population is of all the area's children (the mid-year estimate in force on the period's last
            # day): no rate for a group given as a list of children.
            people = population.get(population_year(period.end)) if group.children is None else None
            value = 10_000 * len(at_end) / people if people else None
            rows.append(_row("cla_rate", period, group, value, len(at_end), people or None))
            # Three or more placements in the 12 months to the period end: the 12 months must be covered.
            window_start = _day((pd.Timestamp(period.end) - YEAR).date())
            if pd.Timestamp(period.end) - YEAR + pd.Timedelta(days=1) < covered[0]:
                rows.append(_row("placements_3_plus", period, group, None, None, None))
            else:
                within = (episodes.decom <= end) & (episodes.dec > window_start)
                child = episodes.child[within]
                counted = np.r_[True, child[1:] != child[:-1]] | episodes.new_placement[within]
                placements = np.bincount(child, weights=counted, minlength=n)
                three = int((placements[at_end] >= 3).sum())
                rows.append(_proportion("placements_3_plus", period, group, three, len(at_end)))
            # Missing and away: children looked after in the period, incidents starting in it.
            during = (episodes.decom <= end) & (episodes.dec >= start)
            if rule_day is not None:
                during &= episodes.spell_start >= rule_day
            looked_after = np.unique(episodes.child[during])
            in_period = (incidents.mis_start >= start) & (incidents.mis_start <= end)
            for kind, share, count in (("M", "missing_from_care", "missing_incidents"),
                                       ("A", "away_from_care", "away_incidents")):  # fmt: skip
                these = in_period & (incidents.kind == kind)
                rows.append(_count(count, period, group, int(these.sum())))
                went = int(np.isin(looked_after, incidents.child[these]).sum())
                rows.append(_proportion(share, period, group, went, len(looked_after)))
            # Care leavers aged 19 to 21 (OC3), placed in the period by their birthday.
            chosen = leavers.in_period(start, end, group, members)
            aged = int(chosen.sum())
            rows.append(_proportion("care_leavers_eet", period, group, int(leavers.eet[chosen].sum()), aged))
            rows.append(_proportion("care_leavers_accommodation", period, group, int(leavers.suitable[chosen].sum()), aged))
            # Exits: children ceasing to be looked after in the period, by the last time they left in it.
            hit = np.flatnonzero((exits.dec >= start) & (exits.dec <= end))
            child = exits.child[hit]
            last = hit[np.r_[child[1:] != child[:-1], True]] if len(hit) else hit
            for code, reasons in EXIT_REASONS.items():
                left = int(np.isin(exits.rec[last], list(reasons)).sum())
                rows.append(_proportion(code, period, group, left, len(last)))
    # object columns: a value is a float or None, a numerator or denominator an int or None.
    return pd.DataFrame({column: pd.Series([row[column] for row in rows], dtype=object) for column in MEASURE_COLUMNS})
