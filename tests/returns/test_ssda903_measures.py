"""The looked-after measures from an SSDA903 return, against answers worked by hand
(returns.ssda903.synthetic.scenario says how each is counted)."""

from datetime import date

import pandas as pd
import pytest

from returns import ssda903
from returns.ssda903.measures import collection_years
from returns.ssda903.synthetic import Child, Episode, Return903, scenario
from returns.types import ALL, MEASURE_COLUMNS, Group, Period

from .helpers import as_files, pseudonymise

YEAR = Period(date(2023, 4, 1), date(2024, 3, 31))


@pytest.fixture(scope="module")
def read():
    return ssda903.read(as_files(scenario().csv_files()), pseudonymise=pseudonymise)


def answers(read, periods=(YEAR,), groups=(ALL,), population=None):
    frame = ssda903.measures(read, periods=list(periods), groups=list(groups), population=population or {2023: 10_000})
    assert list(frame.columns) == MEASURE_COLUMNS
    return {(r.measure, r.group, r.period_start): (r.value, r.numerator, r.denominator) for r in frame.itertuples()}


def test_every_measure_for_the_year_matches_the_hand_count(read):
    got = answers(read)
    expected = {
        "entries_to_care": (4.0, 4, None),
        "re_entries_12m": (25.0, 1, 4),
        "cla_count": (5.0, 5, None),
        "cla_rate": (5.0, 5, 10_000),
        "placements_3_plus": (40.0, 2, 5),
        "missing_from_care": (100 / 7, 1, 7),
        "missing_incidents": (2.0, 2, None),
        "away_from_care": (200 / 7, 2, 7),
        "away_incidents": (2.0, 2, None),
        "care_leavers_eet": (100 / 3, 1, 3),
        "care_leavers_accommodation": (100 / 3, 1, 3),
        "exits_adoption": (100 / 3, 1, 3),
        "exits_special_guardianship": (100 / 3, 1, 3),
        "exits_return_home": (100 / 3, 1, 3),
    }
    assert set(ssda903.MEASURES) == set(expected)
    for code, (value, numerator, denominator) in expected.items():
        got_value, got_numerator, got_denominator = got[(code, "all", YEAR.start)]
        assert got_value == pytest.approx(value), code
        assert (got_numerator, got_denominator) == (numerator, denominator), code
        assert type(got_numerator) is int and (got_denominator is None or type(got_denominator) is int)


def test_a_group_of_children_counts_only_those_children(read):
    group = Group("intervention", children=frozenset(pseudonymise(c) for c in ("A001", "B002", "H008")))
    got = answers(read, groups=[group])
    assert got[("entries_to_care", "intervention", YEAR.start)] == (2.0, 2, None)  # A, B
    assert got[("re_entries_12m", "intervention", YEAR.start)] == (50.0, 1, 2)  # B
    assert got[("cla_count", "intervention", YEAR.start)] == (3.0, 3, None)
    assert got[("cla_rate", "intervention", YEAR.start)] == (None, 3, None)  # the population is everyone's
    assert got[("placements_3_plus", "intervention", YEAR.start)][1:] == (2, 3)  # A, H
    assert got[("missing_from_care", "intervention", YEAR.start)][1:] == (1, 3)
    assert got[("away_from_care", "intervention", YEAR.start)][1:] == (2, 3)
    # No child of the group left care: a proportion of nothing is not estimable, never 0.
    assert got[("exits_adoption", "intervention", YEAR.start)] == (None, 0, 0)


def test_a_rule_group_counts_records_placed_on_or_after_its_date(read):
    rule = Group("intervention", from_date=date(2023, 6, 1))
    got = answers(read, groups=[rule])
    # Entries on or after 1 June: B (15/06) and G's second entry (01/11), which is a re-entry: G
    # went home on 30/06. A, E and G's first entry came before.
    assert got[("entries_to_care", "intervention", YEAR.start)] == (2.0, 2, None)
    assert got[("re_entries_12m", "intervention", YEAR.start)] == (100.0, 2, 2)
    # Looked after at the end, by the start of the period of care: B and G (A began on 10/05).
    assert got[("cla_count", "intervention", YEAR.start)] == (2.0, 2, None)
    assert got[("placements_3_plus", "intervention", YEAR.start)] == (0.0, 0, 2)
    # Incidents by their own date: A's two missing (July, September), H's away (December), not A's away (May).
    assert got[("missing_incidents", "intervention", YEAR.start)] == (2.0, 2, None)
    assert got[("away_incidents", "intervention", YEAR.start)] == (1.0, 1, None)
    assert got[("missing_from_care", "intervention", YEAR.start)] == (0.0, 0, 2)
    assert got[("exits_return_home", "intervention", YEAR.start)][1:] == (1, 3)  # every exit was after 1 June
    assert got[("care_leavers_eet", "intervention", YEAR.start)][1:] == (1, 3)  # birthdays June, November, January


def test_monthly_periods(read):
    june = Period(date(2023, 6, 1), date(2023, 6, 30))
    september = Period(date(2023, 9, 1), date(2023, 9, 30))
    got = answers(read, periods=[june, september])
    assert got[("entries_to_care", "all", june.start)] == (1.0, 1, None)  # B
    assert got[("re_entries_12m", "all", june.start)] == (100.0, 1, 1)
    assert got[("exits_return_home", "all", june.start)] == (100.0, 1, 1)  # G on 30/06
    assert got[("exits_adoption", "all", september.start)] == (100.0, 1, 1)  # D on 30/09
    assert got[("missing_incidents", "all", september.start)] == (1.0, 1, None)


def test_children_looked_after_at_the_end_of_june(read):
    # A (from 10/05), B (15/06), C, D (until 30/09), E (until 10/02), H; G went home on 30/06.
    got = answers(read, periods=[Period(date(2023, 6, 1), date(2023, 6, 30))])
    assert got[("cla_count", "all", date(2023, 6, 1))][1] == 6


def test_a_rate_without_the_population_is_not_estimable(read):
    got = answers(read, population={2024: 9_000})  # the estimate in force on 31/03/2024 (mid-2023) is missing
    assert got[("cla_rate", "all", YEAR.start)] == (None, 5, None)


def test_the_rate_takes_the_mid_year_estimate_in_force_on_the_periods_last_day(read):
    """As the CIN census's plan rate does, and as DfE's rates at 31 March use the estimate of the
    June before: the latest 30 June on or before the period's last day (it took the calendar year
    of the last day, so 31/03/2024 read an estimate for 30/06/2024, after it)."""
    population = {2022: 8_000, 2023: 10_000, 2024: 20_000}
    may, june = Period(date(2023, 5, 1), date(2023, 5, 31)), Period(date(2023, 6, 1), date(2023, 6, 30))
    got = answers(read, periods=[YEAR, may, june], population=population)
    assert got[("cla_rate", "all", YEAR.start)] == (5.0, 5, 10_000)  # 31/03/2024: mid-2023
    assert got[("cla_rate", "all", june.start)] == (6.0, 6, 10_000)  # 30/06/2023: mid-2023, in force that day
    value, numerator, denominator = got[("cla_rate", "all", may.start)]  # 31/05/2023: mid-2022
    assert denominator == 8_000 and value == pytest.approx(numerator * 10_000 / 8_000)


def test_an_episode_ending_after_the_year_adds_no_year_of_invented_figures():
    """The return of 2023-24 whose one episode is dated to end on 01/04/2024 (past the collection
    year: DfE's validator would flag it) still covers 2023-24 only; 2024-25 is not estimable. It was
    taken as covering 2024-25 too, giving that year 0 entries and every open episode as looked after
    all year: figures the return never held."""
    the_return = Return903([
        Child("P1", date(2012, 1, 1), episodes=[Episode(date(2023, 5, 1), "S", "C2", "U1", date(2024, 4, 1), "E4A")]),
        Child("P2", date(2013, 1, 1), episodes=[Episode(date(2023, 6, 1), "S", "C2", "U1")]),
    ])  # fmt: skip
    read = ssda903.read(as_files(the_return.csv_files()), pseudonymise=pseudonymise)
    assert collection_years(read) == (pd.Timestamp(2023, 4, 1), pd.Timestamp(2024, 3, 31))
    later = Period(date(2024, 4, 1), date(2025, 3, 31))
    got = answers(read, periods=[YEAR, later])
    assert got[("entries_to_care", "all", YEAR.start)] == (2.0, 2, None)
    for code in ssda903.MEASURES:
        assert got[(code, "all", later.start)] == (None, None, None), code


def test_periods_the_return_does_not_cover_are_not_estimable(read):
    # The return's earliest episode end is 30/11/2022: it covers April 2022 to March 2024.
    before = Period(date(2021, 4, 1), date(2022, 3, 31))
    after = Period(date(2024, 4, 1), date(2024, 4, 30))
    previous = Period(date(2022, 4, 1), date(2023, 3, 31))
    got = answers(read, periods=[before, after, previous])
    for code in ssda903.MEASURES:
        assert got[(code, "all", before.start)] == (None, None, None), code
        assert got[(code, "all", after.start)] == (None, None, None), code
    assert got[("entries_to_care", "all", previous.start)] == (1.0, 1, None)  # B on 01/06/2022
    assert got[("exits_return_home", "all", previous.start)][1:] == (1, 1)
    # Placements over the 12 months to 31/03/2023 lie in the return; those to 30/04/2022 do not.
    assert got[("placements_3_plus", "all", previous.start)][2] == 3  # C, D and H at 31/03/2023
    april = Period(date(2022, 4, 1), date(2022, 4, 30))
    got = answers(read, periods=[april])
    assert got[("placements_3_plus", "all", april.start)] == (None, None, None)
    assert got[("cla_count", "all", april.start)][1] == 3  # C, D and H (B came on 01/06/2022)


def test_short_breaks_are_left_out():
    only_breaks = Return903([
        Child("S1", date(2012, 1, 1), episodes=[Episode(date(2023, 5, 1), "S", "V3", "R5", date(2023, 5, 3), "E8")]),
        Child("S2", date(2012, 1, 1), episodes=[Episode(date(2023, 5, 1), "S", "V4", "R5", date(2023, 9, 3), "E4A")]),
    ])  # fmt: skip
    read = ssda903.read(as_files(only_breaks.csv_files()), pseudonymise=pseudonymise)
    got = answers(read)
    assert got[("entries_to_care", "all", YEAR.start)] == (0.0, 0, None)
    assert got[("exits_return_home", "all", YEAR.start)] == (None, 0, 0)


def test_a_child_starting_twice_in_a_period_counts_once_and_their_last_exit_counts():
    twice = Return903([
        Child("T1", date(2012, 1, 1), episodes=[
            Episode(date(2023, 5, 1), "S", "V2", "U1", date(2023, 6, 1), "E4A"),
            Episode(date(2023, 8, 1), "S", "V2", "U1", date(2023, 10, 1), "E11"),
        ]),
    ])  # fmt: skip
    read = ssda903.read(as_files(twice.csv_files()), pseudonymise=pseudonymise)
    got = answers(read)
    assert got[("entries_to_care", "all", YEAR.start)] == (1.0, 1, None)
    assert got[("re_entries_12m", "all", YEAR.start)] == (0.0, 0, 1)  # the first start in the year counts
    assert got[("exits_adoption", "all", YEAR.start)] == (100.0, 1, 1)
    assert got[("exits_return_home", "all", YEAR.start)] == (0.0, 0, 1)


def test_a_re_entry_is_within_twelve_months_of_leaving():
    def one(left: date, back: date):
        child = Child("R1", date(2012, 1, 1), episodes=[
            Episode(date(2021, 1, 1), "S", "V2", "U1", left, "E4A"),
            Episode(back, "S", "V2", "U1"),
        ])  # fmt: skip
        read = ssda903.read(as_files(Return903([child]).csv_files()), pseudonymise=pseudonymise)
        return answers(read)[("re_entries_12m", "all", YEAR.start)][1]

    assert one(date(2022, 9, 1), date(2023, 9, 1)) == 1  # 12 months to the day
    assert one(date(2022, 8, 31), date(2023, 9, 1)) == 0  # a day more


def test_every_measure_is_given_for_every_period_and_group(read):
    periods = [Period(date(2023, m, 1), date(2023, m, 28)) for m in range(4, 13)]
    groups = [ALL, Group("comparison", children=frozenset())]
    frame = ssda903.measures(read, periods=periods, groups=groups, population={})
    assert len(frame) == len(ssda903.MEASURES) * len(periods) * len(groups)
    empty = frame[frame["group"] == "comparison"]
    assert (empty.loc[empty["measure"] == "cla_count", "numerator"] == 0).all()


def test_a_period_of_care_that_began_before_the_return_is_not_in_a_rule_group():
    # The child's first episode in the return is a change of placement: the care began earlier.
    child = Child("Q1", date(2012, 1, 1), episodes=[Episode(date(2023, 6, 5), "P", "C2", "U4")])
    started = Child("Q2", date(2012, 1, 1), episodes=[Episode(date(2023, 6, 5), "S", "C2", "U4")])
    history = Child("Q3", date(2012, 1, 1), episodes=[Episode(date(2022, 5, 1), "S", "V2", "U1", date(2022, 7, 1), "E4A")])
    read = ssda903.read(as_files(Return903([child, started, history]).csv_files()), pseudonymise=pseudonymise)
    got = answers(read, groups=[ALL, Group("rule", from_date=date(2023, 6, 1))])
    assert got[("cla_count", "all", YEAR.start)][1] == 2
    assert got[("cla_count", "rule", YEAR.start)][1] == 1  # Q2 only


def test_a_return_without_episodes_gives_nothing_estimable():
    only_header = {k: v for k, v in scenario().csv_files().items() if k == "header.csv"}
    read = ssda903.read(as_files(only_header), pseudonymise=pseudonymise)
    got = answers(read)
    assert all(value == (None, None, None) for value in got.values())
    nothing = ssda903.read([], pseudonymise=pseudonymise)
    assert all(value == (None, None, None) for value in answers(nothing).values())


def rne_return():
    """Every reason for a new episode, worked by hand (the year 1 April 2023 to 31 March 2024).

    S started to be looked after; L change of legal status only; P change of placement and carers;
    T both at once; U change of placement, same carers; B that and legal status at once. Only S is
    an entry to care; L, P, T, U and B carry on the period of care (the episode before ends with
    X1 that day). A new placement with new carers is S, P or T, never L, U or B.

    * P1: S 01/05/23, then L 01/06, U 01/07, B 01/08, P 01/09 (open). One entry, no re-entry (the
      X1 ends are not exits); looked after at the end; placements in the year: S and P, 2 (with U
      and B counted it would be 4).
    * P2: left care 15/02/23 (home, E4A); S again 01/11/23, U 10/01/24 (open). One entry, a
      re-entry (left 8.5 months before); looked after at the end; 1 placement.
    * P4: S and left the same day, 10/06/23 (E8). One entry, not a re-entry (its own exit is not
      an earlier one); not looked after at the end; one exit, by none of the three routes.
    * P5: looked after since before the return (P 01/09/22), T 01/12/23, P 01/02/24 (open). No
      entry; looked after at the end; placements in the year: 3 (the one held, then T and P).
    * P6: S 01/07/23, U on the year's last day, 31/03/24 (open). One entry; counted once at the end.

    For the year: entries 4 (P1, P2, P4, P6), re-entries 1 of 4, looked after at the end 4 (P1, P2,
    P5, P6), three or more placements 1 of 4 (P5), exits 1 (P4)."""
    c2, u1 = "C2", "U1"

    def run(child, *steps, left=None):
        """Episodes from (start, RNE) steps, each ending X1 when the next starts; ``left`` = (DEC, REC) of the last."""
        episodes = []
        for (start, rne), following in zip(steps, [*steps[1:], None]):
            if following is not None:
                episodes.append(Episode(start, rne, c2, u1, dec=following[0], rec="X1"))
            else:
                dec, rec = left or (None, None)
                episodes.append(Episode(start, rne, c2, u1, dec=dec, rec=rec))
        return episodes

    children = [
        Child("P1", date(2012, 3, 1), episodes=run("P1", (date(2023, 5, 1), "S"), (date(2023, 6, 1), "L"),
                                                   (date(2023, 7, 1), "U"), (date(2023, 8, 1), "B"),
                                                   (date(2023, 9, 1), "P"))),
        Child("P2", date(2014, 6, 1), episodes=[
            *run("P2", (date(2022, 12, 1), "S"), left=(date(2023, 2, 15), "E4A")),
            *run("P2", (date(2023, 11, 1), "S"), (date(2024, 1, 10), "U")),
        ]),
        Child("P4", date(2010, 1, 1), episodes=run("P4", (date(2023, 6, 10), "S"), left=(date(2023, 6, 10), "E8"))),
        Child("P5", date(2009, 9, 1), episodes=run("P5", (date(2022, 9, 1), "P"), (date(2023, 12, 1), "T"),
                                                   (date(2024, 2, 1), "P"))),
        Child("P6", date(2015, 2, 1), episodes=run("P6", (date(2023, 7, 1), "S"), (date(2024, 3, 31), "U"))),
    ]  # fmt: skip
    return Return903(children)


def test_the_reasons_for_a_new_episode_count_as_their_definitions_say():
    read = ssda903.read(as_files(rne_return().csv_files()), pseudonymise=pseudonymise)
    assert not [p for p in read.problems if p.severity == "error"], read.problems
    got = answers(read)
    assert got[("entries_to_care", "all", YEAR.start)] == (4.0, 4, None)
    assert got[("re_entries_12m", "all", YEAR.start)] == (25.0, 1, 4)  # P2 only: not P4's own same-day exit
    assert got[("cla_count", "all", YEAR.start)] == (4.0, 4, None)
    assert got[("placements_3_plus", "all", YEAR.start)] == (25.0, 1, 4)  # P5; P1's L, U and B are no new carers
    assert got[("exits_return_home", "all", YEAR.start)] == (0.0, 0, 1)  # P4 (P2 went home before the year)
    quarters = [Period(date(2023, m, 1), end) for m, end in
                ((4, date(2023, 6, 30)), (7, date(2023, 9, 30)), (10, date(2023, 12, 31)))]  # fmt: skip
    by_quarter = answers(read, periods=quarters)
    at_end = [by_quarter[("cla_count", "all", q.start)][1] for q in quarters]
    assert at_end == [2, 3, 4]  # 30/06: P1 (L), P5; 30/09: P1 (B ended 01/09, P), P5, P6; 31/12: P1, P2, P5, P6
    entries = [by_quarter[("entries_to_care", "all", q.start)][1] for q in quarters]
    assert entries == [2, 1, 1]  # P1 and P4; P6; P2
    assert by_quarter[("re_entries_12m", "all", quarters[2].start)] == (100.0, 1, 1)
    # A rule group by the start of the period of care: P1's changes (L, U, B, P) do not start a new one.
    rule = answers(read, groups=[Group("intervention", from_date=date(2023, 6, 1))])
    assert rule[("cla_count", "intervention", YEAR.start)] == (2.0, 2, None)  # P2 (01/11) and P6 (01/07)
