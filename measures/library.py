"""The standard outcome measures of children's social care, as defined in DfE statistics and
Ofsted inspection (sources: the Children in Need census, the SSDA903 looked-after return, Annex A)."""

import math
from typing import NamedTuple

# Decimal places a measure's value is shown to, by its unit: the report tables' rule (charts and hover
# text show no more), and every page that shows a value reads it here. Pure, so analysis may use it.
DISPLAY_DECIMALS = {"count": 0, "percentage": 1, "rate_10k": 1, "days": 1}


def value_shown(value: float, unit: str) -> str:
    """A measure's value as a table cell shows it, at its unit's precision: a count whole, a
    percentage to one decimal place with its sign, rates and days to one decimal place; thousands
    separated. The caption or column names the unit."""
    decimals = DISPLAY_DECIMALS.get(unit, 1)
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    value = round(value, decimals) + 0.0  # + 0.0: never -0.0
    return f"{value:.{decimals}f}%" if unit == "percentage" else f"{value:,.{decimals}f}"


class StandardMeasure(NamedTuple):
    code: str
    name: str
    definition: str
    unit: str
    polarity: str


STANDARD_MEASURES = [
    StandardMeasure(
        "re_referrals_12m",
        "Re-referrals within 12 months",
        "Percentage of referrals in the period made within 12 months of a previous referral for the same child. "
        "Numerator: referrals with a previous referral (CINreferralDate) in the 12 months before; denominator: all referrals."
        " Formula: referrals whose child had an earlier referral (another CINreferralDate, earlier referrals in "
        "the return counting as history) in the 12 months before, divided by all referrals, times 100; placed in a"
        " period by CINreferralDate; statistic: a proportion (numerator and denominator).",
        "percentage",
        "lower",
    ),
    StandardMeasure(
        "referrals_nfa",
        "Referrals ending in no further action",
        "Percentage of referrals in the period that led to no further action (ReferralNFA = 1). Denominator: all referrals."
        " Formula: referrals with ReferralNFA true divided by all referrals, times 100; placed in a period by "
        "CINreferralDate; statistic: a proportion (numerator and denominator).",
        "percentage",
        "lower",
    ),
    StandardMeasure(
        "assessments_45_days",
        "Assessments completed within 45 working days",
        "Percentage of assessments authorised in the period within 45 working days of starting "
        "(AssessmentActualStartDate to AssessmentAuthorisationDate, excluding weekends and bank holidays)."
        " Formula: assessments authorised within 45 working days of AssessmentActualStartDate (numpy busday_count,"
        " weekends and England's bank holidays excluded) divided by all assessments authorised, times 100; placed "
        "in a period by AssessmentAuthorisationDate; statistic: a proportion (numerator and denominator).",
        "percentage",
        "higher",
    ),
    StandardMeasure(
        "icpc_15_days",
        "Initial child protection conferences within 15 working days",
        "Percentage of initial child protection conferences in the period held within 15 working days of the start "
        "of the section 47 enquiry (S47ActualStartDate to DateOfInitialCPC)."
        " Formula: initial child protection conferences held within 15 working days of S47ActualStartDate (numpy "
        "busday_count, weekends and England's bank holidays excluded) divided by all initial conferences held, "
        "times 100; placed in a period by DateOfInitialCPC; statistic: a proportion (numerator and denominator).",
        "percentage",
        "higher",
    ),
    StandardMeasure(
        "cp_plans_rate",
        "Child protection plans per 10,000 children",
        "Children on a child protection plan at the end of the period per 10,000 children aged 0 to 17 "
        "(ONS mid-year population estimate)."
        " Formula: children on a plan at the end of the period's last day (CPPstartDate on or before it, "
        "CPPendDate after it or empty) times 10,000, divided by the 0 to 17 population of the ONS mid-year "
        "estimate in force that day; placed in a period by its last day; statistic: a rate per 10,000 (the "
        "population as denominator, not estimable without it or for a group given as a list).",
        "rate_10k",
        "lower",
    ),
    StandardMeasure(
        "repeat_cp_plans",
        "Repeat child protection plans",
        "Percentage of children starting a child protection plan in the period who had a previous plan, however long ago "
        "(NumberOfPreviousCPP > 0)."
        " Formula: plans starting whose child had a previous plan (NumberOfPreviousCPP above 0, or an earlier plan"
        " in the return) divided by all plans starting, times 100; placed in a period by CPPstartDate; statistic: "
        "a proportion (numerator and denominator).",
        "percentage",
        "lower",
    ),
    StandardMeasure(
        "cp_plans_2_years",
        "Child protection plans lasting two years or more",
        "Percentage of child protection plans ending in the period that had lasted two years or more "
        "(CPPstartDate to CPPendDate)."
        " Formula: plans ending that had lasted two years or more (CPPendDate on or after CPPstartDate plus two "
        "years) divided by all plans ending, times 100; placed in a period by CPPendDate; statistic: a proportion "
        "(numerator and denominator).",
        "percentage",
        "lower",
    ),
    StandardMeasure(
        "cin_referrals",
        "Referrals to children's social care",
        "Number of referrals in the period: each episode of need whose referral date (CINreferralDate) is in the period "
        "counts once, so a child referred twice counts twice. Formula: count of referrals; placed in a period by "
        "CINreferralDate; statistic: a count (no denominator).",
        "count",
        "lower",
    ),
    StandardMeasure(
        "cp_plans_started",
        "Child protection plans started",
        "Number of child protection plans starting in the period (CPPstartDate in the period). Formula: count of plans; "
        "placed in a period by CPPstartDate; statistic: a count (no denominator).",
        "count",
        "lower",
    ),
    StandardMeasure(
        "cla_rate",
        "Children looked after per 10,000 children",
        "Children looked after at the end of the period per 10,000 children aged under 18 (SSDA903 episodes open at the "
        "end of the period's last day: DECOM on or before it, DEC after it or empty; short breaks V3, V4 left out). "
        "Population: the 0 to 17 population the partner gives for the ONS mid-year estimate in force on the period's "
        "last day (the latest 30 June on or before it); without it the rate is not estimable, and so it is for a group "
        "given as a list of children."
        " Formula: children looked after at the end of the period's last day times 10,000, divided by the 0 to 17 "
        "population of the ONS mid-year estimate in force that day; placed in a period by its last day (episodes "
        "open then: DECOM on or before it, DEC after it or empty); statistic: a rate per 10,000 (the population as"
        " denominator, not estimable without it or for a group given as a list).",
        "rate_10k",
        "lower",
    ),
    StandardMeasure(
        "entries_to_care",
        "Entries to care",
        "Number of children who started to be looked after in the period (SSDA903 episodes with RNE = S), placed in a "
        "period by DECOM; a child starting twice in the period counts once; episodes under a series of short-term "
        "breaks (legal status V3, V4) are left out, as in DfE's figures."
        " Formula: count of children with an episode starting with RNE = S (L, P, T, U and B are changes within a "
        "period of care, not entries); placed in a period by DECOM; statistic: a count (no denominator).",
        "count",
        "lower",
    ),
    StandardMeasure(
        "re_entries_12m",
        "Re-entries to care within 12 months",
        "Percentage of children starting to be looked after in the period (their first start in it, RNE = S, by DECOM) "
        "who had left care (an episode ending with a reason other than X1) in the 12 months up to that day. Earlier "
        "episodes in the return count as history; short breaks (V3, V4) are left out."
        " Formula: children entering care (RNE = S) who left care (an earlier episode ending with a reason other "
        "than X1) in the 12 months up to the entry, divided by children entering care, times 100; placed in a "
        "period by the DECOM of the child's first entry in it; statistic: a proportion (numerator and "
        "denominator).",
        "percentage",
        "lower",
    ),
    StandardMeasure(
        "placements_3_plus",
        "Three or more placements in a year",
        "Percentage of children looked after at the end of the period who had three or more placements "
        "in the previous 12 months: the placement held when the 12 months began (or the first in them) counts one, and "
        "each later episode with new carers (RNE S, P or T) one more; a change of legal status only (L) or of placement "
        "type with the same carers (U, B) is not a new placement. Not estimable unless the return covers the 12 months."
        " Formula: children looked after at the period end with three or more placements in the 12 months to it, "
        "divided by children looked after at the period end, times 100; placed in a period by its last day; "
        "statistic: a proportion (numerator and denominator).",
        "percentage",
        "lower",
    ),
    StandardMeasure(
        "long_term_stability",
        "Long-term placement stability",
        "Percentage of children under 16 looked after for 2.5 years or more who have lived in the same placement for at "
        "least 2 years, or are placed for adoption and their adoptive and previous placements together last 2 years.",
        "percentage",
        "higher",
    ),
    StandardMeasure(
        "missing_from_care",
        "Children missing from care",
        "Percentage of children looked after at any time in the period who had at least one missing incident starting in "
        "it (SSDA903 MISSING = M, by MIS_START; away without authorisation is counted separately, in away_from_care)."
        " Formula: children looked after at any time in the period with a missing incident (MISSING = M) starting "
        "in it, divided by children looked after at any time in the period, times 100; placed in a period by "
        "MIS_START (the children by their episodes open in it); statistic: a proportion (numerator and "
        "denominator).",
        "percentage",
        "lower",
    ),
    StandardMeasure(
        "care_leavers_eet",
        "Care leavers aged 19 to 21 in education, employment or training",
        "Percentage of care leavers aged 19 to 21 in education, employment or training (SSDA903 OC3 ACTIV codes F* or P*). "
        "A care leaver is placed in the period of their 19th, 20th or 21st birthday (the first of the month of birth, as "
        "dates of birth are kept to the month); those not in touch count in the denominator, those who died do not."
        " Formula: care leavers in education, employment or training (OC3 ACTIV F* or P*) divided by care leavers "
        "aged 19 to 21 (those not in touch counted, those who died not), times 100; placed in a period by their "
        "19th, 20th or 21st birthday (the first of the month of birth); statistic: a proportion (numerator and "
        "denominator).",
        "percentage",
        "higher",
    ),
    StandardMeasure(
        "care_leavers_accommodation",
        "Care leavers in suitable accommodation",
        "Percentage of care leavers aged 19 to 21 in accommodation judged suitable (SSDA903 OC3 ACCOM ending in 1), "
        "placed in a period by their 19th, 20th or 21st birthday as for care_leavers_eet."
        " Formula: care leavers in suitable accommodation (OC3 ACCOM ending in 1) divided by care leavers aged 19 "
        "to 21 (those not in touch counted, those who died not), times 100; placed in a period by their 19th, 20th"
        " or 21st birthday (the first of the month of birth); statistic: a proportion (numerator and denominator).",
        "percentage",
        "higher",
    ),
    StandardMeasure(
        "days_referral_to_assessment",
        "Days from referral to completed assessment",
        "Median number of calendar days from referral (CINreferralDate) to the authorisation of the assessment."
        " Formula: the median of the calendar days from CINreferralDate to AssessmentAuthorisationDate over the "
        "assessments authorised; placed in a period by AssessmentAuthorisationDate; statistic: a median (no "
        "numerator or denominator).",
        "days",
        "lower",
    ),
    StandardMeasure(
        "cla_count",
        "Children looked after at the end of the period",
        "Number of children looked after at the end of the period's last day (SSDA903 episodes with DECOM on or before "
        "it and DEC after it or empty; short breaks V3, V4 left out)."
        " Formula: count of children with an episode open at the end of the period's last day (DECOM on or before "
        "it, DEC after it or empty, short breaks left out); placed in a period by its last day; statistic: a count"
        " (no denominator).",
        "count",
        "lower",
    ),
    StandardMeasure(
        "missing_incidents",
        "Missing incidents",
        "Number of missing incidents (SSDA903 MISSING = M) starting in the period (MIS_START)."
        " Formula: count of missing incidents (MISSING = M); placed in a period by MIS_START; statistic: a count "
        "(no denominator).",
        "count",
        "lower",
    ),
    StandardMeasure(
        "away_from_care",
        "Children away from care without authorisation",
        "Percentage of children looked after at any time in the period who were away without authorisation at least once "
        "(SSDA903 MISSING = A, by MIS_START)."
        " Formula: children looked after at any time in the period with an incident of being away without "
        "authorisation (MISSING = A) starting in it, divided by children looked after at any time in the period, "
        "times 100; placed in a period by MIS_START (the children by their episodes open in it); statistic: a "
        "proportion (numerator and denominator).",
        "percentage",
        "lower",
    ),
    StandardMeasure(
        "away_incidents",
        "Incidents of being away without authorisation",
        "Number of incidents of being away from placement without authorisation (SSDA903 MISSING = A) starting in the "
        "period (MIS_START)."
        " Formula: count of incidents of being away without authorisation (MISSING = A); placed in a period by "
        "MIS_START; statistic: a count (no denominator).",
        "count",
        "lower",
    ),
    StandardMeasure(
        "exits_adoption",
        "Children leaving care who were adopted",
        "Percentage of children who ceased to be looked after in the period (an episode ending, by DEC, with a reason "
        "other than X1; a child's last exit in the period) who were adopted (REC E11, E12)."
        " Formula: children whose last exit in the period (an episode ending with a reason other than X1) was "
        "adoption (REC E11, E12), divided by children ceasing to be looked after in the period, times 100; placed "
        "in a period by DEC; statistic: a proportion (numerator and denominator).",
        "percentage",
        "higher",
    ),
    StandardMeasure(
        "exits_special_guardianship",
        "Children leaving care under a special guardianship order",
        "Percentage of children who ceased to be looked after in the period (by DEC; a child's last exit in it) who left "
        "under a special guardianship order (REC E45, E46, E47, E48)."
        " Formula: children whose last exit in the period (an episode ending with a reason other than X1) was "
        "under a special guardianship order (REC E45 to E48), divided by children ceasing to be looked after in "
        "the period, times 100; placed in a period by DEC; statistic: a proportion (numerator and denominator).",
        "percentage",
        "higher",
    ),
    StandardMeasure(
        "exits_return_home",
        "Children leaving care who returned home",
        "Percentage of children who ceased to be looked after in the period (by DEC; a child's last exit in it) who "
        "returned home to live with parents or relatives, as planned or not (REC E4A, E4B)."
        " Formula: children whose last exit in the period (an episode ending with a reason other than X1) was a "
        "return home (REC E4A, E4B), divided by children ceasing to be looked after in the period, times 100; "
        "placed in a period by DEC; statistic: a proportion (numerator and denominator).",
        "percentage",
        "higher",
    ),
]


class MeasureDetails(NamedTuple):
    numerator: str
    denominator: str
    frequency: str  # monthly, quarterly or annual
    source: str  # cin, ssda903, annex_a
    source_fields: str


# What each standard measure counts, how often it is usually reported, and the statutory-return
# fields it comes from.
DETAILS = {
    "re_referrals_12m": MeasureDetails(
        "Referrals in the period made within 12 months of a previous referral for the same child",
        "Referrals in the period", "monthly", "cin", "LAchildID, CINreferralDate"),
    "referrals_nfa": MeasureDetails(
        "Referrals in the period that led to no further action", "Referrals in the period", "monthly", "cin",
        "CINreferralDate, ReferralNFA"),
    "assessments_45_days": MeasureDetails(
        "Assessments authorised in the period within 45 working days of starting", "Assessments authorised in the period",
        "monthly", "cin", "AssessmentActualStartDate, AssessmentAuthorisationDate"),
    "icpc_15_days": MeasureDetails(
        "Initial child protection conferences held within 15 working days of the section 47 enquiry starting",
        "Initial child protection conferences in the period", "monthly", "cin", "S47ActualStartDate, DateOfInitialCPC"),
    "cp_plans_rate": MeasureDetails(
        "Children on a child protection plan at the end of the period",
        "Children aged 0 to 17 (ONS mid-year estimate), per 10,000", "quarterly", "cin", "CPPstartDate, CPPendDate"),
    "repeat_cp_plans": MeasureDetails(
        "Children starting a plan in the period who had a previous plan", "Children starting a plan in the period",
        "quarterly", "cin", "CPPstartDate, NumberOfPreviousCPP"),
    "cp_plans_2_years": MeasureDetails(
        "Plans ending in the period that had lasted two years or more", "Plans ending in the period", "quarterly", "cin",
        "CPPstartDate, CPPendDate"),
    "cin_referrals": MeasureDetails(
        "Referrals with CINreferralDate in the period", "(a count: no denominator)", "monthly", "cin",
        "LAchildID, CINreferralDate"),
    "cp_plans_started": MeasureDetails(
        "Child protection plans with CPPstartDate in the period", "(a count: no denominator)", "monthly", "cin",
        "LAchildID, CPPstartDate"),
    "cla_rate": MeasureDetails(
        "Children looked after at the end of the period", "Children aged under 18 (ONS mid-year estimate), per 10,000",
        "quarterly", "ssda903", "Episodes: DECOM, DEC; Header: DOB"),
    "entries_to_care": MeasureDetails(
        "Children who started to be looked after in the period", "(a count: no denominator)", "monthly", "ssda903",
        "Episodes: DECOM, RNE = S"),
    "re_entries_12m": MeasureDetails(
        "Children starting to be looked after who had left care in the previous 12 months",
        "Children starting to be looked after in the period", "quarterly", "ssda903", "Episodes: DECOM, DEC, RNE, REC"),
    "placements_3_plus": MeasureDetails(
        "Children looked after at the end of the period with three or more placements in the previous 12 months",
        "Children looked after at the end of the period", "annual", "ssda903", "Episodes: DECOM, DEC, RNE, LS"),
    "long_term_stability": MeasureDetails(
        "Children under 16 looked after for 2.5 years or more, in the same placement for 2 years or more",
        "Children under 16 looked after for 2.5 years or more", "annual", "ssda903", "Episodes: DECOM, PLACE; Header: DOB"),
    "missing_from_care": MeasureDetails(
        "Children looked after with at least one missing incident in the period", "Children looked after in the period",
        "quarterly", "ssda903", "Missing: MISSING = M, MIS_START, MIS_END"),
    "care_leavers_eet": MeasureDetails(
        "Care leavers aged 19 to 21 in education, employment or training", "Care leavers aged 19 to 21", "annual", "ssda903",
        "OC3: DOB, IN_TOUCH, ACTIV"),
    "care_leavers_accommodation": MeasureDetails(
        "Care leavers aged 19 to 21 in suitable accommodation", "Care leavers aged 19 to 21", "annual", "ssda903",
        "OC3: DOB, IN_TOUCH, ACCOM"),
    "days_referral_to_assessment": MeasureDetails(
        "(a median: no numerator)", "Assessments authorised in the period", "monthly", "cin",
        "CINreferralDate, AssessmentAuthorisationDate"),
    "cla_count": MeasureDetails(
        "Children looked after at the end of the period", "(a count: no denominator)", "quarterly", "ssda903",
        "Episodes: DECOM, DEC, LS"),
    "missing_incidents": MeasureDetails(
        "Missing incidents starting in the period", "(a count: no denominator)", "quarterly", "ssda903",
        "Missing: MISSING = M, MIS_START"),
    "away_from_care": MeasureDetails(
        "Children looked after with at least one incident of being away without authorisation in the period",
        "Children looked after in the period", "quarterly", "ssda903", "Missing: MISSING = A, MIS_START"),
    "away_incidents": MeasureDetails(
        "Incidents of being away without authorisation starting in the period", "(a count: no denominator)",
        "quarterly", "ssda903", "Missing: MISSING = A, MIS_START"),
    "exits_adoption": MeasureDetails(
        "Children ceasing to be looked after in the period who were adopted",
        "Children ceasing to be looked after in the period", "annual", "ssda903", "Episodes: DEC, REC = E11, E12"),
    "exits_special_guardianship": MeasureDetails(
        "Children ceasing to be looked after in the period under a special guardianship order",
        "Children ceasing to be looked after in the period", "annual", "ssda903", "Episodes: DEC, REC = E45 to E48"),
    "exits_return_home": MeasureDetails(
        "Children ceasing to be looked after in the period who returned home",
        "Children ceasing to be looked after in the period", "annual", "ssda903", "Episodes: DEC, REC = E4A, E4B"),
}  # fmt: skip
