"""Every library measure a statutory return feeds states, in its stored definition, its formula,
the date that places a record in a period, and its statistic, in one sentence the data dictionary
shows: "Formula: ...; placed in a period by ...; statistic: ...". The measures the CIN census fed
before the returns work (referrals, re-referrals, assessments within 45 working days, days from
referral to assessment, conferences within 15 working days, plans) and the SSDA903 ones said some
of it in their wording, not all three. Where a stored definition lacks any of the three, the
sentence is added to it (whatever the practice team has written is kept) as a new version, the
old one kept in its history. Written out here, not read from measures.library, so the migration
means the same whatever the library later says; a database made afresh has them from the library
already, and nothing changes."""

import re

from django.db import migrations
from django.utils import timezone

FIELDS = ["name", "definition", "unit", "polarity", "numerator", "denominator", "frequency", "source", "source_fields",
          "child_aggregation"]  # fmt: skip
PARTS = (re.compile(r"\bformula:", re.I), re.compile(r"\bplaced in a period by\b", re.I), re.compile(r"\bstatistic:", re.I))

RULES = {
    "re_referrals_12m": (
        "Formula: referrals whose child had an earlier referral (another CINreferralDate, earlier referrals in the "
        "return counting as history) in the 12 months before, divided by all referrals, times 100; placed in a period"
        " by CINreferralDate; statistic: a proportion (numerator and denominator)."
    ),
    "referrals_nfa": (
        "Formula: referrals with ReferralNFA true divided by all referrals, times 100; placed in a period by "
        "CINreferralDate; statistic: a proportion (numerator and denominator)."
    ),
    "assessments_45_days": (
        "Formula: assessments authorised within 45 working days of AssessmentActualStartDate (numpy busday_count, "
        "weekends and England's bank holidays excluded) divided by all assessments authorised, times 100; placed in a"
        " period by AssessmentAuthorisationDate; statistic: a proportion (numerator and denominator)."
    ),
    "days_referral_to_assessment": (
        "Formula: the median of the calendar days from CINreferralDate to AssessmentAuthorisationDate over the "
        "assessments authorised; placed in a period by AssessmentAuthorisationDate; statistic: a median (no numerator"
        " or denominator)."
    ),
    "icpc_15_days": (
        "Formula: initial child protection conferences held within 15 working days of S47ActualStartDate (numpy "
        "busday_count, weekends and England's bank holidays excluded) divided by all initial conferences held, times "
        "100; placed in a period by DateOfInitialCPC; statistic: a proportion (numerator and denominator)."
    ),
    "cp_plans_rate": (
        "Formula: children on a plan at the end of the period's last day (CPPstartDate on or before it, CPPendDate "
        "after it or empty) times 10,000, divided by the 0 to 17 population of the ONS mid-year estimate in force "
        "that day; placed in a period by its last day; statistic: a rate per 10,000 (the population as denominator, "
        "not estimable without it or for a group given as a list)."
    ),
    "repeat_cp_plans": (
        "Formula: plans starting whose child had a previous plan (NumberOfPreviousCPP above 0, or an earlier plan in "
        "the return) divided by all plans starting, times 100; placed in a period by CPPstartDate; statistic: a "
        "proportion (numerator and denominator)."
    ),
    "cp_plans_2_years": (
        "Formula: plans ending that had lasted two years or more (CPPendDate on or after CPPstartDate plus two years)"
        " divided by all plans ending, times 100; placed in a period by CPPendDate; statistic: a proportion "
        "(numerator and denominator)."
    ),
    "cla_rate": (
        "Formula: children looked after at the end of the period's last day times 10,000, divided by the 0 to 17 "
        "population the partner gives for that day's calendar year; placed in a period by its last day (episodes open"
        " then: DECOM on or before it, DEC after it or empty); statistic: a rate per 10,000 (the population as "
        "denominator, not estimable without it or for a group given as a list)."
    ),
    "entries_to_care": (
        "Formula: count of children with an episode starting with RNE = S (L, P, T, U and B are changes within a "
        "period of care, not entries); placed in a period by DECOM; statistic: a count (no denominator)."
    ),
    "re_entries_12m": (
        "Formula: children entering care (RNE = S) who left care (an earlier episode ending with a reason other than "
        "X1) in the 12 months up to the entry, divided by children entering care, times 100; placed in a period by "
        "the DECOM of the child's first entry in it; statistic: a proportion (numerator and denominator)."
    ),
    "placements_3_plus": (
        "Formula: children looked after at the period end with three or more placements in the 12 months to it, "
        "divided by children looked after at the period end, times 100; placed in a period by its last day; "
        "statistic: a proportion (numerator and denominator)."
    ),
    "missing_from_care": (
        "Formula: children looked after at any time in the period with a missing incident (MISSING = M) starting in "
        "it, divided by children looked after at any time in the period, times 100; placed in a period by MIS_START "
        "(the children by their episodes open in it); statistic: a proportion (numerator and denominator)."
    ),
    "missing_incidents": (
        "Formula: count of missing incidents (MISSING = M); placed in a period by MIS_START; statistic: a count (no "
        "denominator)."
    ),
    "away_from_care": (
        "Formula: children looked after at any time in the period with an incident of being away without "
        "authorisation (MISSING = A) starting in it, divided by children looked after at any time in the period, "
        "times 100; placed in a period by MIS_START (the children by their episodes open in it); statistic: a "
        "proportion (numerator and denominator)."
    ),
    "away_incidents": (
        "Formula: count of incidents of being away without authorisation (MISSING = A); placed in a period by "
        "MIS_START; statistic: a count (no denominator)."
    ),
    "care_leavers_eet": (
        "Formula: care leavers in education, employment or training (OC3 ACTIV F* or P*) divided by care leavers aged"
        " 19 to 21 (those not in touch counted, those who died not), times 100; placed in a period by their 19th, "
        "20th or 21st birthday (the first of the month of birth); statistic: a proportion (numerator and "
        "denominator)."
    ),
    "care_leavers_accommodation": (
        "Formula: care leavers in suitable accommodation (OC3 ACCOM ending in 1) divided by care leavers aged 19 to "
        "21 (those not in touch counted, those who died not), times 100; placed in a period by their 19th, 20th or "
        "21st birthday (the first of the month of birth); statistic: a proportion (numerator and denominator)."
    ),
    "exits_adoption": (
        "Formula: children whose last exit in the period (an episode ending with a reason other than X1) was adoption"
        " (REC E11, E12), divided by children ceasing to be looked after in the period, times 100; placed in a period"
        " by DEC; statistic: a proportion (numerator and denominator)."
    ),
    "exits_special_guardianship": (
        "Formula: children whose last exit in the period (an episode ending with a reason other than X1) was under a "
        "special guardianship order (REC E45 to E48), divided by children ceasing to be looked after in the period, "
        "times 100; placed in a period by DEC; statistic: a proportion (numerator and denominator)."
    ),
    "exits_return_home": (
        "Formula: children whose last exit in the period (an episode ending with a reason other than X1) was a return"
        " home (REC E4A, E4B), divided by children ceasing to be looked after in the period, times 100; placed in a "
        "period by DEC; statistic: a proportion (numerator and denominator)."
    ),
    "cla_count": (
        "Formula: count of children with an episode open at the end of the period's last day (DECOM on or before it, "
        "DEC after it or empty, short breaks left out); placed in a period by its last day; statistic: a count (no "
        "denominator)."
    ),
}  # fmt: skip


def fill_missing_parts(apps, schema_editor):
    measure_model = apps.get_model("measures", "Measure")
    schema_editor.execute("SELECT set_config('pine.practice', 'on', true)")
    for measure in measure_model.objects.filter(code__in=list(RULES), partner__isnull=True).order_by("code"):
        if all(part.search(measure.definition) for part in PARTS):
            continue
        before = {name: getattr(measure, name) for name in FIELDS}
        measure.history = [*measure.history, {"version": measure.version, "until": timezone.now().isoformat(), **before}]
        measure.version += 1
        measure.definition = f"{measure.definition.rstrip()} {RULES[measure.code]}".strip()
        measure.updated_at = timezone.now()
        measure.save()
    schema_editor.execute("SELECT set_config('pine.practice', '', true)")


class Migration(migrations.Migration):
    dependencies = [("measures", "0004_measures_from_statutory_returns")]

    # Going back leaves the sentences (as the library's earlier migrations leave their changes).
    operations = [migrations.RunPython(fill_missing_parts, migrations.RunPython.noop)]
