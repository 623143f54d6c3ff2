"""The CIN census reader and its measures, on small synthetic censuses whose answers are worked
out by hand in the comments. Pure: no database."""

import hashlib
import io
from datetime import date

import pandas as pd
import pytest

from returns import cin
from returns.cin.synthetic import Assessment, Child, Episode, Plan, Section47, census_xml, random_children
from returns.types import ALL, Group, Period
from returns.workdays import working_days


def pseudo(ref: str) -> str:
    return "pseudo:t:" + hashlib.sha256(ref.encode()).hexdigest()


def read(*censuses: bytes):
    return cin.read([(f"cin{n}.xml", io.BytesIO(data)) for n, data in enumerate(censuses)], pseudonymise=pseudo)


def months(first: str, last: str) -> list[Period]:
    return [Period(p.start_time.date(), p.end_time.date()) for p in pd.period_range(first, last, freq="M")]


def cell(frame: pd.DataFrame, measure: str, start: str, group: str = "all") -> dict:
    row = frame[(frame.measure == measure) & (frame.period_start == date.fromisoformat(start)) & (frame.group == group)]
    assert len(row) == 1, (measure, start, group)
    return row.iloc[0].to_dict()


def the_census(year: int = 2025) -> bytes:
    """Children A to G; the collection year runs from 1 April 2024 to 31 March 2025."""
    return census_xml(
        year,
        [
            # A: referred 29/04/2024, and before on 01/09/2023 (within 12 months: a re-referral). Assessed from
            # Mon 29/04/2024 to Wed 03/07/2024: 47 weekdays less the bank holidays of 6 and 27 May = 45 working days.
            Child("A001", birth=date(2012, 8, 23), sex="M", upn="A111111111111", episodes=[
                Episode(date(2023, 9, 1), closure=date(2023, 12, 1)),
                Episode(date(2024, 4, 29), assessments=[Assessment(date(2024, 4, 29), date(2024, 7, 3))]),
            ]),
            # B: referred 25/04/2024, no earlier referral; assessed 29/04/2024 to 04/07/2024: 46 working days.
            Child("B002", birth=date(2016, 1, 5), upn="B222222222222", episodes=[
                Episode(date(2024, 4, 25), assessments=[Assessment(date(2024, 4, 29), date(2024, 7, 4))]),
            ]),
            # C: referred 15/04/2024, no further action; earlier referral 01/03/2023 is more than 12 months before.
            Child("C003", episodes=[
                Episode(date(2023, 3, 1), closure=date(2023, 5, 1)),
                Episode(date(2024, 4, 15), nfa=True, closure=date(2024, 4, 16)),
            ]),
            # D: section 47 from Mon 16/12/2024, conference 07/01/2025: 13 working days (25, 26 Dec and 1 Jan are
            # bank holidays; 16 counting weekdays only). A first plan from the conference.
            Child("D004", episodes=[
                Episode(date(2024, 12, 10), section47=[Section47(date(2024, 12, 16), date(2025, 1, 7))],
                        plans=[Plan(date(2025, 1, 7))]),
            ]),
            # E: section 47 from Mon 02/12/2024, conference 07/01/2025: 23 working days. A plan, with a previous one.
            Child("E005", episodes=[
                Episode(date(2024, 11, 28), section47=[Section47(date(2024, 12, 2), date(2025, 1, 7))],
                        plans=[Plan(date(2025, 1, 7), previous=1)]),
            ]),
            # F: a plan from 01/05/2022 to 01/05/2024 (exactly two years), and a second from 02/09/2024 (a repeat:
            # the earlier plan is in the file though NumberOfPreviousCPP says 0).
            Child("F006", episodes=[
                Episode(date(2022, 4, 1), closure=date(2024, 5, 10), plans=[Plan(date(2022, 5, 1), date(2024, 5, 1))]),
                Episode(date(2024, 8, 20), plans=[Plan(date(2024, 9, 2))]),
            ]),
            # G: a plan from 01/06/2023 to 20/05/2024: under two years.
            Child("G007", episodes=[
                Episode(date(2023, 5, 1), closure=date(2024, 6, 1), plans=[Plan(date(2023, 6, 1), date(2024, 5, 20))]),
            ]),
        ],
    )  # fmt: skip


YEAR = months("2024-04", "2025-03")
POPULATION = {2023: 40_000, 2024: 30_000}


def test_working_days_follow_busday_count_with_england_bank_holidays():
    assert working_days([date(2024, 4, 29)], [date(2024, 7, 3)]).tolist() == [45]
    assert working_days([date(2024, 12, 16)], [date(2025, 1, 7)]).tolist() == [13]
    assert working_days([date(2024, 5, 20)], [date(2024, 5, 20)]).tolist() == [0]  # same day: 0


def test_it_reads_the_census_into_child_level_tables():
    result = read(the_census())
    assert result.kind == "cin" and not result.problems
    assert result.children == 7
    t = result.tables
    # 10 episodes, 2 assessments, 0 CIN plans, 2 section 47s, 5 plans (D, E, two of F's, G).
    assert (len(t["episodes"]), len(t["assessments"]), len(t["cin_plans"]), len(t["section47"]), len(t["cp_plans"])) == (
        10, 2, 0, 2, 5)  # fmt: skip
    assert result.records == 19
    assert set(t["children"]["child"]) == {pseudo(x) for x in ("A001", "B002", "C003", "D004", "E005", "F006", "G007")}
    a = t["children"][t["children"]["child"] == pseudo("A001")].iloc[0]
    assert a["birth_month"] == pd.Timestamp("2012-08-01")  # cut to the month
    assert a["sex"] == "M"


def test_no_identifier_upn_or_birth_day_reaches_the_tables():
    result = read(the_census())
    dumped = "".join(frame.to_csv() for frame in result.tables.values())
    for raw in ("A001", "B002", "A111111111111", "Z111111111111", "B222222222222", "2012-08-23", "2016-01-05"):
        assert raw not in dumped


def test_the_measures_by_hand():
    frame = cin.measures(read(the_census()), periods=YEAR, groups=[ALL], population=POPULATION)
    assert set(frame.measure) == set(cin.MEASURES)
    assert len(frame) == len(cin.MEASURES) * 12
    # April 2024: A, B and C referred; A a re-referral; C no further action.
    assert cell(frame, "cin_referrals", "2024-04-01")["value"] == 3
    april = cell(frame, "re_referrals_12m", "2024-04-01")
    assert (april["numerator"], april["denominator"]) == (1, 3) and april["value"] == pytest.approx(100 / 3)
    nfa = cell(frame, "referrals_nfa", "2024-04-01")
    assert (nfa["numerator"], nfa["denominator"]) == (1, 3)
    # July 2024: A's assessment within 45 working days, B's not; days from referral 65 and 70: median 67.5.
    july = cell(frame, "assessments_45_days", "2024-07-01")
    assert (july["numerator"], july["denominator"], july["value"]) == (1, 2, 50.0)
    median = cell(frame, "days_referral_to_assessment", "2024-07-01")
    assert median["value"] == 67.5 and median["numerator"] is None and median["denominator"] is None
    assert cell(frame, "days_referral_to_assessment", "2024-08-01")["value"] is None  # none authorised: not estimable
    # January 2025: D's conference within 15 working days, E's not.
    icpc = cell(frame, "icpc_15_days", "2025-01-01")
    assert (icpc["numerator"], icpc["denominator"]) == (1, 2)
    # Plans started: F in September, D and E in January; repeats: F (earlier plan in the file), E (previous 1).
    assert cell(frame, "cp_plans_started", "2024-09-01")["value"] == 1
    assert cell(frame, "cp_plans_started", "2025-01-01")["value"] == 2
    assert (
        cell(frame, "repeat_cp_plans", "2024-09-01")["numerator"],
        cell(frame, "repeat_cp_plans", "2024-09-01")["denominator"],
    ) == (1, 1)
    january = cell(frame, "repeat_cp_plans", "2025-01-01")
    assert (january["numerator"], january["denominator"]) == (1, 2)
    # May 2024: F's plan (exactly 2 years) and G's (under 2) end.
    may = cell(frame, "cp_plans_2_years", "2024-05-01")
    assert (may["numerator"], may["denominator"]) == (1, 2)
    # Empty periods: a count of 0, a proportion not estimable (0 of 0).
    assert cell(frame, "cin_referrals", "2024-06-01")["value"] == 0
    june = cell(frame, "re_referrals_12m", "2024-06-01")
    assert (june["value"], june["numerator"], june["denominator"]) == (None, 0, 0)


def test_the_cp_plan_rate_needs_the_population_and_is_never_guessed():
    frame = cin.measures(read(the_census()), periods=YEAR, groups=[ALL], population=POPULATION)
    # 30/04/2024: F and G on plans; the mid-2023 estimate (40,000) is in force: 2 / 40,000 x 10,000 = 0.5.
    april = cell(frame, "cp_plans_rate", "2024-04-01")
    assert (april["numerator"], april["denominator"], april["value"]) == (2, 40_000, 0.5)
    # 31/03/2025: D, E and F; mid-2024 (30,000): 1.0.
    march = cell(frame, "cp_plans_rate", "2025-03-01")
    assert (march["numerator"], march["value"]) == (3, 1.0)
    # Without the year's population: not estimable.
    none = cin.measures(read(the_census()), periods=YEAR, groups=[ALL], population={2023: 40_000})
    assert cell(none, "cp_plans_rate", "2025-03-01")["value"] is None
    assert cell(none, "cp_plans_rate", "2025-03-01")["denominator"] is None


def test_groups_from_a_list_of_children_and_from_a_rule():
    intervention = Group("intervention", children=frozenset({pseudo("A001"), pseudo("C003"), pseudo("D004")}))
    rule = Group("intervention", from_date=date(2024, 4, 20))
    frame = cin.measures(read(the_census()), periods=YEAR, groups=[ALL, intervention], population=POPULATION)
    assert cell(frame, "cin_referrals", "2024-04-01", "intervention")["value"] == 2  # A and C
    listed = cell(frame, "re_referrals_12m", "2024-04-01", "intervention")
    assert (listed["numerator"], listed["denominator"]) == (1, 2)
    assert cell(frame, "cp_plans_rate", "2025-03-01", "intervention")["value"] is None  # the area's population: "all" only
    ruled = cin.measures(read(the_census()), periods=YEAR, groups=[rule], population=POPULATION)
    # Referred on or after 20/04/2024: A (29th) and B (25th); A's earlier referral still counts as history.
    r = cell(ruled, "re_referrals_12m", "2024-04-01", "intervention")
    assert (r["numerator"], r["denominator"]) == (1, 2)


@pytest.mark.parametrize("year", range(2021, 2027))
def test_every_collection_year_reads_with_its_sex_field(year):
    data = census_xml(year, [Child("K1", sex="F", episodes=[Episode(date(year - 1, 6, 1))])])
    assert (b"<GenderCurrent>2<" in data) == (year <= 2022) and (b"<Sex>F<" in data) == (year > 2022)
    result = read(data)
    assert not result.problems
    assert result.tables["children"]["sex"].tolist() == ["F"]
    assert cin.coverage(result) == [(date(year - 1, 4, 1), date(year, 3, 31))]


def test_several_years_take_each_episode_from_the_latest_census():
    old = census_xml(2024, [Child("A1", episodes=[Episode(date(2023, 6, 1))])])
    new = census_xml(2025, [Child("A1", episodes=[Episode(date(2023, 6, 1), nfa=True, closure=date(2024, 6, 1)),
                                                  Episode(date(2024, 9, 1))])])  # fmt: skip
    result = read(old, new)
    episodes = result.tables["episodes"].sort_values("referral_date")
    assert episodes["referral_nfa"].tolist() == [True, False] and episodes["year"].tolist() == [2025, 2025]
    assert len(cin.coverage(result)) == 2


def test_problems_name_the_element_and_field_never_the_value():
    bad = census_xml(2025, [
        Child("SECRET1", episodes=[Episode(date(2024, 5, 1), assessments=[Assessment(date(2024, 6, 1), date(2024, 5, 20))])]),
        Child("", episodes=[Episode(date(2024, 5, 1))]),
        Child("SECRET3", episodes=[Episode(date(2024, 5, 1), plans=[Plan(date(2024, 5, 2), date(2024, 5, 1))])]),
    ]).replace(b"<CINreferralDate>2024-05-01</CINreferralDate>", b"", 1)  # fmt: skip
    bad = bad.replace(b"<ReferralNFA>0</ReferralNFA>", b"<ReferralNFA>maybe</ReferralNFA>", 1)
    result = read(bad)
    assert result.blocked
    found = {(p.where, p.field) for p in result.problems if p.severity == "error"}
    assert ("the file: Child 1/CINdetails 1", "CINreferralDate") in found  # required, missing
    assert ("the file: Child 1/CINdetails 1", "ReferralNFA") in found  # not in its list
    assert ("the file: Child 1/CINdetails 1/Assessments 1", "AssessmentAuthorisationDate") in found  # out of order
    assert ("the file: Child 2/ChildIdentifiers", "LAchildID") in found
    assert ("the file: Child 3/CINdetails 1/ChildProtectionPlans 1", "CPPendDate") in found
    text = repr(result.problems)
    assert "SECRET" not in text and "maybe" not in text and "2024-05" not in text


def test_dates_after_the_reference_date_or_unreadable_are_errors():
    data = census_xml(
        2025, [Child("K1", episodes=[Episode(date(2025, 4, 2))]), Child("K2", episodes=[Episode(date(2024, 5, 1))])]
    )
    data = data.replace(b"2024-05-01", b"2024-13-45")
    fields = {(p.where, p.message) for p in read(data).problems}
    assert ("the file: Child 1/CINdetails 1", "CINreferralDate is after the census's reference date.") in fields
    assert ("the file: Child 2/CINdetails 1", "CINreferralDate is not a date (YYYY-MM-DD).") in fields


def test_a_file_that_is_not_xml_is_refused_without_quoting_it():
    result = read(b"<Message><Children><Child><LAchildID>SECRET</LAchildID></Chil")
    assert result.blocked
    assert "SECRET" not in repr(result.problems)
    assert "not a well-formed XML file" in result.problems[0].message


def test_detection():
    assert cin.detect("return.xml", the_census()[:2048])
    assert not cin.detect("episodes.csv", b"CHILD,DECOM,RNE\n1,01/01/2024,S\n")
    assert not cin.detect("x.xml", b"<?xml version='1.0'?><EXPSSDA903><CHILD></CHILD></EXPSSDA903>")


def test_many_problems_of_one_kind_are_counted_not_listed():
    children = [Child(f"K{n}", episodes=[Episode(date(2024, 5, 1))]) for n in range(30)]
    data = census_xml(2025, children).replace(b"<ReferralNFA>0</ReferralNFA>", b"")
    problems = read(data).problems
    assert len(problems) == 21
    assert problems[-1].message.startswith("10 more like this")


def test_a_random_census_reads_cleanly_and_its_measures_add_up():
    result = read(census_xml(2025, random_children(2025, 500, seed=3)))
    assert not result.problems and result.children == 500
    frame = cin.measures(result, periods=YEAR, groups=[ALL], population=POPULATION)
    referrals = frame[frame.measure == "cin_referrals"]["value"].sum()
    in_year = result.tables["episodes"]["referral_date"].between("2024-04-01", "2025-03-31").sum()
    assert referrals == in_year


def test_an_older_layout_with_fields_directly_in_the_child_and_the_conference_on_the_episode():
    """Some pre-2022 exports: no ChildIdentifiers block, a namespace, GenderCurrent, and the initial
    conference's date on the episode rather than in its section 47 block."""
    data = b"""<?xml version="1.0"?>
<Message xmlns="http://www.dcsf.gov.uk/schemas/cin"><Header><CollectionDetails><Collection>CIN</Collection>
<Year>2021</Year><ReferenceDate>2021-03-31</ReferenceDate></CollectionDetails></Header><Children>
<Child><LAchildID>OLD1</LAchildID><UPN>A999999999999</UPN><PersonBirthDate>2010-02-14</PersonBirthDate>
<GenderCurrent>1</GenderCurrent><CINdetails><CINreferralDate>2020-06-01</CINreferralDate><ReferralNFA>false</ReferralNFA>
<DateOfInitialCPC>2020-06-19</DateOfInitialCPC><Section47><S47ActualStartDate>2020-06-02</S47ActualStartDate>
<ICPCnotRequired>false</ICPCnotRequired></Section47></CINdetails></Child></Children></Message>"""
    assert cin.detect("old.xml", data)
    result = read(data)
    assert not result.problems
    child = result.tables["children"].iloc[0]
    assert (child["sex"], child["birth_month"]) == ("M", pd.Timestamp("2010-02-01"))
    s47 = result.tables["section47"].iloc[0]
    assert s47["icpc_date"] == pd.Timestamp("2020-06-19")
    # Tue 02/06/2020 to Fri 19/06/2020: 13 working days, within 15.
    frame = cin.measures(result, periods=months("2020-06", "2020-06"), groups=[ALL], population={})
    assert cell(frame, "icpc_15_days", "2020-06-01")["numerator"] == 1
    assert "A999999999999" not in result.tables["children"].to_csv()


def test_digits_that_are_no_decimal_number_are_reported_not_a_crash():
    """A superscript "²" passes str.isdigit but int() refuses it: it used to crash the reader (and
    fail the whole import with no word of where)."""
    data = census_xml(2025, [Child("K1", episodes=[Episode(date(2024, 5, 1), plans=[Plan(date(2024, 6, 1), previous=1)])])])
    data = data.replace(b"<NumberOfPreviousCPP>1<", "<NumberOfPreviousCPP>²<".encode())
    data = data.replace(b"<Year>2025</Year>", "<Year>²⁰²⁵</Year>".encode())
    result = read(data)
    found = {(p.severity, p.field) for p in result.problems}
    assert found == {("error", "NumberOfPreviousCPP"), ("error", "Year")}
    assert "²" not in repr(result.problems)


def test_every_field_the_issue_names_is_read_from_each_block():
    """Episodes (referral date, source, primary need, closure date and reason, NFA), assessments
    (start, authorisation, factors), CIN plans, section 47 enquiries (start, conference, not
    required) and child protection plans (start, end, categories, previous plans), each into its
    column."""
    data = census_xml(2025, [Child("K1", episodes=[Episode(
        date(2024, 5, 1), nfa=False, closure=date(2025, 2, 1), source="3B", need="N2", closure_reason="RC4",
        assessments=[Assessment(date(2024, 5, 2), date(2024, 6, 3), factors=("4A", "2B"))],
        cin_plans=[(date(2024, 6, 10), date(2024, 9, 1))],
        section47=[Section47(date(2024, 7, 1), None, not_required=True), Section47(date(2024, 8, 1), date(2024, 8, 15))],
        plans=[Plan(date(2024, 8, 15), date(2025, 1, 20), previous=2, category="EMO")],
    )])])  # fmt: skip
    t = read(data).tables
    episode = t["episodes"].iloc[0]
    assert (episode["referral_date"], episode["referral_source"], episode["primary_need"], episode["closure_date"],
            episode["closure_reason"], episode["referral_nfa"]) == (
        pd.Timestamp("2024-05-01"), "3B", "N2", pd.Timestamp("2025-02-01"), "RC4", False)  # fmt: skip
    assessment = t["assessments"].iloc[0]
    assert (assessment["start_date"], assessment["authorisation_date"], assessment["factors"]) == (
        pd.Timestamp("2024-05-02"), pd.Timestamp("2024-06-03"), "2B,4A")  # fmt: skip
    plan = t["cin_plans"].iloc[0]
    assert (plan["start_date"], plan["end_date"]) == (pd.Timestamp("2024-06-10"), pd.Timestamp("2024-09-01"))
    s47 = t["section47"]
    assert s47["start_date"].tolist() == [pd.Timestamp("2024-07-01"), pd.Timestamp("2024-08-01")]
    assert pd.isna(s47["icpc_date"].iloc[0]) and s47["icpc_date"].iloc[1] == pd.Timestamp("2024-08-15")
    assert s47["icpc_not_required"].tolist() == [True, False]
    cp = t["cp_plans"].iloc[0]
    assert (cp["start_date"], cp["end_date"], cp["initial_category"], cp["latest_category"], cp["previous_plans"]) == (
        pd.Timestamp("2024-08-15"), pd.Timestamp("2025-01-20"), "EMO", "EMO", 2)  # fmt: skip


def test_every_order_rule_is_an_error_on_its_later_field():
    """referral <= closure; referral <= assessment start <= authorisation; referral <= section 47
    start <= initial conference; referral <= plan start <= end; CIN plan start <= end."""
    d = date
    data = census_xml(2025, [
        Child("O1", episodes=[Episode(d(2024, 6, 1), closure=d(2024, 5, 1))]),
        Child("O2", episodes=[Episode(d(2024, 6, 1), assessments=[Assessment(d(2024, 5, 1), d(2024, 7, 1))])]),
        Child("O3", episodes=[Episode(d(2024, 6, 1), section47=[Section47(d(2024, 5, 1), d(2024, 7, 1))])]),
        Child("O4", episodes=[Episode(d(2024, 6, 1), section47=[Section47(d(2024, 6, 10), d(2024, 6, 9))])]),
        Child("O5", episodes=[Episode(d(2024, 6, 1), plans=[Plan(d(2024, 5, 1))])]),
        Child("O6", episodes=[Episode(d(2024, 6, 1), cin_plans=[(d(2024, 7, 1), d(2024, 6, 30))])]),
    ])  # fmt: skip
    result = read(data)
    assert result.blocked
    assert {(p.where, p.field) for p in result.problems if p.severity == "error"} == {
        ("the file: Child 1/CINdetails 1", "CINclosureDate"),
        ("the file: Child 2/CINdetails 1/Assessments 1", "AssessmentActualStartDate"),
        ("the file: Child 3/CINdetails 1/Section47 1", "S47ActualStartDate"),
        ("the file: Child 4/CINdetails 1/Section47 1", "DateOfInitialCPC"),
        ("the file: Child 5/CINdetails 1/ChildProtectionPlans 1", "CPPstartDate"),
        ("the file: Child 6/CINdetails 1/CINPlanDates 1", "CINPlanEndDate"),
    }
