"""Child-level rows: references pseudonymised with a keyed HMAC as they are read (the raw reference
appears nowhere), aggregates computed by the documented rule, identifying columns refused."""

import hashlib
import hmac
import logging
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes import services
from outcomes.children import identifying_kind, is_nhs_number, normalised_header
from outcomes.models import ChildRecord, OutcomeValue, Submission
from outcomes.parsing import HashParts
from pine.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db

RAW = "LA-CHILD-000417"
HEADER = "child_ref,measure,period_start,period_end,group,value\n"
CHILDREN = (
    HEADER + f"{RAW},re_referrals_12m,01/04/2025,30/04/2025,intervention,1\n"
    "LA-CHILD-000418,re_referrals_12m,01/04/2025,30/04/2025,intervention,0\n"
    "LA-CHILD-000419,re_referrals_12m,01/04/2025,30/04/2025,intervention,0\n"
    "LA-CHILD-000420,re_referrals_12m,01/04/2025,30/04/2025,intervention,1\n"
    f"{RAW},entries_to_care,01/04/2025,30/04/2025,all,\n"
    "LA-CHILD-000418,entries_to_care,01/04/2025,30/04/2025,all,\n"
    f"{RAW},days_referral_to_assessment,01/04/2025,30/04/2025,all,10\n"
    "LA-CHILD-000418,days_referral_to_assessment,01/04/2025,30/04/2025,all,15\n"
    "LA-CHILD-000419,days_referral_to_assessment,01/04/2025,30/04/2025,all,21\n"
)


def upload(partner, actor, evaluation, text, filename="children.csv"):
    return services.submission_upload(
        partner=partner, actor=actor, evaluation=evaluation, filename=filename, content=text.encode()
    )


def dump_tables() -> str:
    """Every row of our tables (and the audit trail) as text, to search for the raw reference."""
    out = []
    with connection.cursor() as cursor:
        for table in ("outcomes_submission", "outcomes_childrecord", "outcomes_outcomevalue", "pine_auditevent"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            for row in cursor.fetchall():
                out.append(" ".join(bytes(v).decode("utf-8", "replace") if isinstance(v, memoryview) else str(v) for v in row))
    return "\n".join(out)


def test_child_rows_are_aggregated_by_the_documented_rule(lead, partner, evaluation):
    submission = upload(partner, lead, evaluation, CHILDREN)
    assert submission.status == "accepted", submission.errors
    values = {v.measure.code: v for v in OutcomeValue.objects.filter(submission=submission).select_related("measure")}
    # percentage: children with 1 over all children
    assert (values["re_referrals_12m"].value, values["re_referrals_12m"].numerator, values["re_referrals_12m"].denominator) == (
        Decimal("50"),
        2,
        4,
    )
    assert values["entries_to_care"].value == 2  # count: the rows that count (empty counts)
    assert values["days_referral_to_assessment"].value == Decimal("15")  # days, defined as a median: the median
    assert values["days_referral_to_assessment"].denominator == 3
    assert ChildRecord.objects.filter(submission=submission).count() == 9


def test_the_raw_reference_is_stored_nowhere_only_a_keyed_digest_and_its_version(lead, partner, evaluation, settings, caplog):
    caplog.set_level(logging.DEBUG)
    upload(partner, lead, evaluation, CHILDREN)
    # A second upload with a problem in the child's own row: the problem must not echo the reference.
    bad = upload(partner, lead, evaluation, HEADER + f"{RAW},re_referrals_12m,01/04/2025,30/04/2025,intervention,7\n")
    assert bad.status == "rejected" and bad.errors[0]["column"] == "value"
    dup = upload(partner, lead, evaluation, HEADER + f"{RAW},entries_to_care,01/05/2025,31/05/2025,all,\n" * 2)
    assert dup.status == "rejected" and "same child" in dup.errors[0]["reason"]
    assert RAW not in dump_tables()
    assert RAW not in caplog.text
    assert all(RAW not in str(p) for s in Submission.objects.all() for p in s.errors)
    expected = hmac.new(b"test-pseudonym-key", RAW.encode(), hashlib.sha256).hexdigest()
    record = ChildRecord.objects.filter(child_digest=expected).first()
    assert record is not None and record.key_version == settings.PSEUDONYM_KEY_VERSION
    assert expected != hashlib.sha256(RAW.encode()).hexdigest()  # keyed, not a plain hash
    assert AuditEvent.objects.exists()


def test_the_stored_file_holds_pseudonyms_not_references(lead, partner, evaluation):
    """What is kept of a pending upload (here a dry run, waiting to be stored); an accepted one keeps nothing."""
    checked = services.submission_upload(
        partner=partner, actor=lead, evaluation=evaluation, filename="c.csv", content=CHILDREN.encode(), dry_run=True
    )
    assert checked.status == "checked"
    content = Submission.objects.get(pk=checked.pk).kept_bytes().decode()
    assert RAW not in content and "pseudo:v1:" in content
    accepted = upload(partner, lead, evaluation, CHILDREN)
    assert accepted.status == "accepted" and accepted.kept_bytes() == b"" and not accepted.received


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("child_name", "names"),
        ("First Name", "names"),
        ("Surname", "names"),
        ("DOB", "dates of birth"),
        ("date_of_birth", "dates of birth"),
        ("Address line 1", "addresses"),
        ("postcode", "postcodes"),
        ("NHS number", "NHS or CHI numbers"),
        ("UPN", "pupil numbers"),
        # found by the security review: missed before
        ("D.O.B", "dates of birth"),
        ("Unique Pupil Number", "pupil numbers"),
        ("pupil no", "pupil numbers"),
        ("N.H.S. number", "NHS or CHI numbers"),
        ("CHI number", "NHS or CHI numbers"),
        ("addr", "addresses"),
        ("house_number", "addresses"),
        ("email", "email addresses"),
        ("phone", "phone numbers"),
        ("Initials", "initials"),
        # a header that merely starts with a known column's name is not exempt
        ("child_ref_name", "names"),
        ("value_surname", "names"),
        ("measure_dob", "dates of birth"),
    ],
)
def test_a_column_that_looks_identifying_is_refused_with_an_explanation_and_its_values_not_kept(
    header, kind, lead, partner, evaluation
):
    secret = "Jane Example 12 High Street"
    text = f"{HEADER.strip()},{header}\nC1,entries_to_care,01/04/2025,30/04/2025,all,,{secret}\n"
    submission = upload(partner, lead, evaluation, text)
    assert submission.status == "rejected"
    problem = submission.errors[0]
    assert (
        problem["row"] == 1
        and problem["column"] == normalised_header(header)
        and kind in problem["reason"]
        and "delete the column" in problem["reason"]
    )
    assert secret not in dump_tables()
    assert not OutcomeValue.objects.exists()


def test_identifying_columns_are_refused_in_aggregate_files_too(lead, partner, evaluation):
    text = "measure,period_start,period_end,group,value,postcode\nentries_to_care,01/04/2025,30/04/2025,all,3,NN1 1AA\n"
    submission = upload(partner, lead, evaluation, text)
    assert submission.status == "rejected" and "postcodes" in submission.errors[0]["reason"]
    assert "NN1 1AA" not in dump_tables()


def test_nhs_numbers_with_a_valid_check_digit_are_refused_wherever_they_are(lead, partner, evaluation):
    nhs = "943 476 5919"
    assert is_nhs_number(nhs) and not is_nhs_number("943 476 5918")
    as_ref = upload(partner, lead, evaluation, HEADER + f"{nhs},entries_to_care,01/04/2025,30/04/2025,all,\n")
    assert as_ref.status == "rejected" and "NHS number" in as_ref.errors[0]["reason"] and as_ref.errors[0]["value"] == ""
    in_a_cell = upload(
        partner,
        lead,
        evaluation,
        "measure,period_start,period_end,group,value,notes\nentries_to_care,01/04/2025,30/04/2025,all,3,9434765919\n",
    )
    assert in_a_cell.status == "rejected" and in_a_cell.errors[0]["column"] == "notes" and in_a_cell.errors[0]["value"] == ""
    assert "9434765919" not in dump_tables() and "943 476 5919" not in dump_tables()
    # Ten digits without a valid check digit are an ordinary reference.
    assert (
        upload(partner, lead, evaluation, HEADER + "9434765918,entries_to_care,01/04/2025,30/04/2025,all,\n").status == "accepted"
    )


@pytest.mark.parametrize(
    ("line", "column", "reason"),
    [
        ("C1,cla_rate,01/04/2025,30/04/2025,all,1", "measure", "needs a population"),
        ("C1,re_referrals_12m,01/04/2025,30/04/2025,all,2", "value", "give 1 if"),
        ("C1,days_referral_to_assessment,01/04/2025,30/04/2025,all,", "value", "number of days"),
        (",entries_to_care,01/04/2025,30/04/2025,all,", "child_ref", "Give the child"),
    ],
)
def test_each_bad_child_row_is_refused(line, column, reason, lead, partner, evaluation):
    submission = upload(partner, lead, evaluation, HEADER + line + "\n")
    assert submission.status == "rejected"
    assert any(p["column"] == column and reason in p["reason"] and p["row"] == 2 for p in submission.errors), submission.errors


def test_ordinary_headers_are_not_taken_for_identifying_ones():
    for header in ("measure", "Period Start", "group", "period_start", "value", "numerator", "notes", "team", "event_date"):
        assert identifying_kind(header) is None, header


@pytest.mark.parametrize(
    ("header", "hint"),
    [("child reference", "child_ref"), ("child_id", "child_ref"), ("case_ref", "child_ref"), ("childref", "child_ref"),
     ("notes", ""), ("periodstart", "period_start"), ("denominatr", "denominator")],
)  # fmt: skip
def test_a_column_pine_does_not_read_is_refused_naming_the_columns_it_reads(header, hint, lead, partner, evaluation):
    """(Before: child references under another header were stored as they were, not pseudonymised.)"""
    raw = "LA-CHILD-424242"
    text = f"{header},measure,period_start,period_end,group,value\n{raw},entries_to_care,01/04/2025,30/04/2025,all,1\n"
    submission = upload(partner, lead, evaluation, text)
    assert submission.status == "rejected" and raw not in dump_tables()
    problem = submission.errors[0]
    assert (problem["row"], problem["column"]) == (1, normalised_header(header))
    assert "use only these columns: child_ref, measure, period_start" in problem["reason"]
    assert (f"Did you mean {hint}?" in problem["reason"]) == bool(hint)


def test_headers_are_matched_after_normalising(lead, partner, evaluation):
    text = "Measure,Period Start,period-end,GROUP, Value \nentries_to_care,01/04/2025,30/04/2025,all,3\n"
    assert upload(partner, lead, evaluation, text).status == "accepted"


@pytest.mark.parametrize("written", ["943.476.5919", "NHS 9434765919", "+449434765919", "94347 65919", "NHS no: 943 476 5919"])
def test_nhs_numbers_however_written_are_found(written):
    assert is_nhs_number(written)
    assert not is_nhs_number(written[:-1] + "8")  # the check digit wrong: an ordinary number


def child_rows(*rows: str, header: str = HEADER) -> str:
    return header + "".join(f"{row}\n" for row in rows)


def stored(submission) -> dict:
    return {
        (v.measure.code, v.group): (v.value, v.numerator, v.denominator)
        for v in OutcomeValue.objects.filter(submission=submission).select_related("measure")
    }


def test_a_count_measure_counts_the_rows_whose_value_is_1(lead, partner, evaluation):
    """(Before: six children sent as 1,0,0,0,0,1 were stored as a count of 6.)"""
    rows = [f"C{n},entries_to_care,01/04/2025,30/04/2025,all,{v}" for n, v in enumerate([1, 0, 0, 0, 0, 1])]
    submission = upload(partner, lead, evaluation, child_rows(*rows))
    assert submission.status == "accepted", submission.errors
    assert stored(submission) == {("entries_to_care", "all"): (Decimal(2), None, None)}
    bad = upload(partner, lead, evaluation, child_rows("C9,entries_to_care,01/05/2025,31/05/2025,all,3"))
    assert bad.errors[0]["reason"] == "For a count measure, give 1 (or leave it empty) if this row counts, 0 if it does not."


def test_a_days_measure_follows_its_declared_statistic(lead, partner, evaluation):
    """(Before: a days measure defined as a median was stored as a mean, 46.3 where the median is 7.5.)"""
    from measures.models import Measure

    days = [1, 3, 7, 8, 12, 247]
    rows = [f"C{n},days_referral_to_assessment,01/04/2025,30/04/2025,all,{d}" for n, d in enumerate(days)]
    assert Measure.objects.get(code="days_referral_to_assessment").child_aggregation == "median"
    submission = upload(partner, lead, evaluation, child_rows(*rows))
    assert stored(submission) == {("days_referral_to_assessment", "all"): (Decimal("7.5"), None, 6)}
    local = factories.MeasureFactory(
        code="days_in_care", unit="days", partner=partner, evaluation=evaluation, child_aggregation="mean"
    )
    rows = [f"C{n},{local.code},01/04/2025,30/04/2025,all,{d}" for n, d in enumerate(days)]
    submission = upload(partner, lead, evaluation, child_rows(*rows))
    assert stored(submission) == {("days_in_care", "all"): (Decimal("46.3333"), None, 6)}


def test_an_event_date_lets_a_child_have_several_events_in_a_period(lead, partner, evaluation):
    """(Before: a child referred twice in a month was refused as a duplicate.)"""
    twice = upload(
        partner,
        lead,
        evaluation,
        child_rows("C1,entries_to_care,01/04/2025,30/04/2025,all,1", "C1,entries_to_care,01/04/2025,30/04/2025,all,1"),
    )
    assert "two events of the child in the period, add an event_date column" in twice.errors[0]["reason"]
    header = "child_ref,measure,period_start,period_end,event_date,group,value\n"
    submission = upload(
        partner,
        lead,
        evaluation,
        child_rows(
            "C1,entries_to_care,01/04/2025,30/04/2025,03/04/2025,all,1",
            "C1,entries_to_care,01/04/2025,30/04/2025,2025-04-21,all,1",
            "C2,entries_to_care,01/04/2025,30/04/2025,,all,1",
            header=header,
        ),
    )
    assert submission.status == "accepted", submission.errors
    assert stored(submission) == {("entries_to_care", "all"): (Decimal(3), None, None)}
    assert sorted(str(r.event_date) for r in ChildRecord.objects.filter(submission=submission)) == [
        "2025-04-03", "2025-04-21", "None",
    ]  # fmt: skip
    refused = upload(
        partner,
        lead,
        evaluation,
        child_rows(
            "C1,entries_to_care,01/05/2025,31/05/2025,03/05/2025,all,1",
            "C1,entries_to_care,01/05/2025,31/05/2025,2025-05-03,all,1",
            "C2,entries_to_care,01/05/2025,31/05/2025,03/06/2025,all,1",
            "C3,entries_to_care,01/05/2025,31/05/2025,someday,all,1",
            header=header,
        ),
    )
    assert [(p["row"], p["column"], p["reason"].split(":")[0]) for p in refused.errors] == [
        (3, "period_start", "Duplicate"),
        (4, "event_date", "The event date is outside the row's period"),
        (5, "event_date", refused.errors[2]["reason"].split(":")[0]),
    ]
    assert "same child, measure, group, period and event date" in refused.errors[0]["reason"]
    assert "date" in refused.errors[2]["reason"].lower()
    aggregate = upload(
        partner,
        lead,
        evaluation,
        "measure,period_start,period_end,group,value,event_date\nentries_to_care,01/04/2025,30/04/2025,all,3,\n",
    )
    assert aggregate.errors[0]["column"] == "event_date" and "child-level" in aggregate.errors[0]["reason"]


@pytest.mark.parametrize("buffer_rows", [1, 1 << 16])
def test_the_same_child_in_intervention_and_comparison_in_one_period_is_refused(
    lead, partner, evaluation, monkeypatch, buffer_rows
):
    """Across measures and across chunks (and whether the check spills to disk or not): a child
    belongs to one of the two groups in a period."""
    monkeypatch.setattr(services, "INGEST_CHUNK_ROWS", 2)
    monkeypatch.setattr(HashParts, "BUFFER_ROWS", buffer_rows)
    submission = upload(
        partner,
        lead,
        evaluation,
        child_rows(
            "C1,re_referrals_12m,01/04/2025,30/04/2025,intervention,1",
            "C2,re_referrals_12m,01/04/2025,30/04/2025,comparison,0",
            "C1,re_referrals_12m,01/05/2025,31/05/2025,comparison,0",  # another period: fine
            "C3,re_referrals_12m,01/04/2025,30/04/2025,all,1",
            "C1,entries_to_care,01/04/2025,30/04/2025,comparison,1",  # the same period, another measure
        ),
    )
    assert submission.status == "rejected" and ChildRecord.objects.filter(submission=submission).count() == 0
    assert [(p["row"], p["column"]) for p in submission.errors] == [(6, "group")]
    assert "(row 2)" in submission.errors[0]["reason"]


def test_child_rows_whose_all_group_is_smaller_than_a_detail_group_are_refused(lead, partner, evaluation):
    """The aggregates of child rows go through the group-total rule too: "all" counts every child."""
    from evaluations import services as evaluation_services

    smaller = upload(
        partner,
        lead,
        evaluation,
        child_rows(
            *(f"C{n},entries_to_care,01/04/2025,30/04/2025,intervention,1" for n in range(3)),
            "C0,entries_to_care,01/04/2025,30/04/2025,all,1",
            *(f"D{n},re_referrals_12m,01/04/2025,30/04/2025,comparison,0" for n in range(4)),
            "D0,re_referrals_12m,01/04/2025,30/04/2025,all,1",
        ),
    )
    assert smaller.status == "rejected" and not ChildRecord.objects.exists()
    assert [(p["row"], p["column"]) for p in smaller.errors] == [(5, "value"), (10, "denominator")]
    assert "less than the intervention group's 3 (row 2)" in smaller.errors[0]["reason"]
    assert "a denominator of 1, less than the comparison group's 4 (row 6)" in smaller.errors[1]["reason"]
    # Where the plan says no child is in both groups, "all" is at least the two together.
    evaluation_services.plan_save_draft(partner=partner, actor=lead, evaluation=evaluation, groups_exclusive=True)
    rows = ["C1,entries_to_care,01/04/2025,30/04/2025,intervention,1", "C2,entries_to_care,01/04/2025,30/04/2025,comparison,1"]
    short = upload(partner, lead, evaluation, child_rows(*rows, "C1,entries_to_care,01/04/2025,30/04/2025,all,1"))
    assert short.status == "rejected" and "less than intervention plus comparison (1 + 1)" in short.errors[0]["reason"]
    both = child_rows(*rows, "C1,entries_to_care,01/04/2025,30/04/2025,all,1", "C2,entries_to_care,01/04/2025,30/04/2025,all,1")
    assert upload(partner, lead, evaluation, both).status == "accepted"


def test_a_child_in_the_other_group_of_a_stored_upload_in_the_same_period_is_refused(lead, partner, evaluation):
    """(Before: only one file's rows were checked, so the same child could be sent in the intervention
    group in one upload and in the comparison group of the same period in the next.)"""
    first = upload(
        partner,
        lead,
        evaluation,
        child_rows(
            "C1,entries_to_care,01/04/2025,30/04/2025,intervention,1",
            "C2,entries_to_care,01/04/2025,30/04/2025,intervention,1",
        ),
        filename="april-intervention.csv",
    )
    assert first.status == "accepted"
    later = child_rows(
        "C9,re_referrals_12m,01/04/2025,30/04/2025,comparison,0",
        "C1,re_referrals_12m,01/04/2025,30/04/2025,comparison,1",
        "C2,re_referrals_12m,01/04/2025,30/04/2025,comparison,1",
        "C1,re_referrals_12m,01/05/2025,31/05/2025,comparison,1",  # another period: fine
    )
    dry_run = services.submission_upload(
        partner=partner, actor=lead, evaluation=evaluation, filename="c.csv", content=later.encode(), dry_run=True
    )
    assert dry_run.status == "rejected" and dry_run.errors[0]["reason"].startswith("2 children in this file's comparison")
    refused = upload(partner, lead, evaluation, later)
    assert refused.status == "rejected"
    assert not ChildRecord.objects.filter(submission__in=[refused, dry_run]).exists()
    assert [(p["row"], p["column"]) for p in refused.errors] == [(2, "group")]
    assert (
        "2 children in this file's comparison group for the period starting 01/04/2025 are in the intervention group "
        "of the stored upload april-intervention.csv" in refused.errors[0]["reason"]
    )
    # Once the intervention group's April is sent again without them, they may be in the comparison group.
    assert upload(partner, lead, evaluation, child_rows("C3,entries_to_care,01/04/2025,30/04/2025,intervention,1")).status == (
        "accepted"
    )
    assert upload(partner, lead, evaluation, later).status == "accepted"
    # Against every measure's current child rows of the period: C3 is in entries_to_care's intervention group.
    both = child_rows(
        "C3,entries_to_care,01/04/2025,30/04/2025,comparison,1", "C1,entries_to_care,01/04/2025,30/04/2025,comparison,1"
    )
    assert upload(partner, lead, evaluation, both).errors[0]["reason"].startswith("1 child in this file's comparison group")
    clean = services.submission_upload(
        partner=partner, actor=lead, evaluation=evaluation, filename="c.csv", content=both.replace("C3", "C7").encode(),
        dry_run=True,
    )  # fmt: skip
    assert clean.status == "checked" and not ChildRecord.objects.filter(submission=clean).exists()


def exclusive_chunk(lines, children, groups, starts=None):
    """Checked child rows as :class:`outcomes.parsing.ExclusiveGroups` reads them."""
    from datetime import date

    import numpy as np

    return {
        "lines": np.array(lines),
        "child": np.array(children, dtype=object),
        "period_start": np.array(starts or [date(2025, 4, 1)] * len(lines), dtype=object),
        "group": np.array(groups, dtype=object),
    }


@pytest.mark.parametrize("buffer_rows", [1, 2, 1 << 20])
def test_the_exclusive_group_check_names_the_first_rows_whether_or_not_it_spills_to_disk(monkeypatch, buffer_rows):
    """Each (child, period) of a group counts once, with its first row, whether the hashes stay in
    memory or go to temporary files after every chunk."""
    from outcomes.parsing import ExclusiveGroups

    monkeypatch.setattr(HashParts, "BUFFER_ROWS", buffer_rows)
    groups = ExclusiveGroups()
    groups.add(exclusive_chunk([2, 3, 4], ["a", "a", "b"], ["intervention", "intervention", "comparison"]))
    groups.add(exclusive_chunk([5, 6, 7], ["b", "a", "c"], ["intervention", "comparison", "all"]))
    assert groups.overlaps() == [(5, 4), (6, 2)]


def test_the_exclusive_group_check_spilled_to_disk_finds_every_overlap_a_plain_count_finds(monkeypatch):
    """Many chunks, children, periods and groups, spread over all the temporary files: the same
    overlaps, each named by the first row of the child and period in each group, as going through
    the rows one by one gives, and as the check gives with everything in memory."""
    import random
    from datetime import date

    from outcomes.parsing import ExclusiveGroups

    rng = random.Random(11)
    starts = [date(2025, month, 1) for month in (4, 5, 6)]
    rows = [
        (line, f"pseudo:v1:{rng.randrange(300):064x}", rng.choice(starts), rng.choice(["intervention", "comparison", "all"]))
        for line in range(2, 3002)
    ]
    first = {}  # (child, start, group) -> its first line
    for line, child, start, group in rows:
        first.setdefault((child, start, group), line)
    expected = sorted(
        (max(line, other), min(line, other))
        for (child, start, group), line in first.items()
        if group == "intervention" and (other := first.get((child, start, "comparison"))) is not None
    )
    assert len(expected) > 100  # enough overlaps to land in most of the parts

    found = {}
    for buffer_rows in (7, 1 << 20):  # spilled after every few chunks; all in memory
        monkeypatch.setattr(HashParts, "BUFFER_ROWS", buffer_rows)
        groups = ExclusiveGroups()
        for at in range(0, len(rows), 50):
            lines, children, period_starts, in_groups = zip(*rows[at : at + 50])
            groups.add(exclusive_chunk(list(lines), list(children), list(in_groups), list(period_starts)))
        found[buffer_rows] = groups.overlaps()
    assert found[7] == found[1 << 20] == expected


@settings(max_examples=200, database=None, deadline=None)
@given(st.lists(st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False), min_size=1, max_size=60))
def test_the_median_from_value_counts_is_the_median(values):
    import statistics
    from collections import Counter

    from outcomes.children import _median

    assert _median(Counter(values)) == statistics.median(values)


START_HEADER = "child_ref,measure,period_start,period_end,event_date,start_date,group,value\n"


def test_a_start_date_is_stored_with_each_child_row_for_time_to_event(lead, partner, evaluation):
    submission = upload(
        partner,
        lead,
        evaluation,
        child_rows(
            "C1,re_referrals_12m,01/04/2025,30/04/2025,21/04/2025,02/03/2025,intervention,1",  # before the period: fine
            "C2,re_referrals_12m,01/04/2025,30/04/2025,,2025-04-30,intervention,0",  # censored at the period end
            "C3,re_referrals_12m,01/04/2025,30/04/2025,10/04/2025,10/04/2025,intervention,1",  # the same day: 0 days
            "C4,re_referrals_12m,01/04/2025,30/04/2025,,,intervention,0",  # optional
            header=START_HEADER,
        ),
    )
    assert submission.status == "accepted", submission.errors
    assert stored(submission) == {("re_referrals_12m", "intervention"): (Decimal("50.0000"), 2, 4)}
    rows = ChildRecord.objects.filter(submission=submission).order_by("start_date", "event_date")
    assert [(str(r.start_date), str(r.event_date)) for r in rows] == [
        ("2025-03-02", "2025-04-21"), ("2025-04-10", "2025-04-10"), ("2025-04-30", "None"), ("None", "None"),
    ]  # fmt: skip


def test_a_bad_start_date_is_refused_saying_what_to_correct(lead, partner, evaluation):
    refused = upload(
        partner,
        lead,
        evaluation,
        child_rows(
            "C1,re_referrals_12m,01/04/2025,30/04/2025,,31/02/2025,intervention,0",
            "C2,re_referrals_12m,01/04/2025,30/04/2025,10/04/2025,11/04/2025,intervention,1",
            "C3,re_referrals_12m,01/04/2025,30/04/2025,,01/05/2025,intervention,0",
            "C4,re_referrals_12m,01/04/2025,30/04/2025,,soon,intervention,0",
            header=START_HEADER,
        ),
    )
    assert refused.status == "rejected"
    assert [(p["row"], p["column"]) for p in refused.errors] == [
        (2, "start_date"), (3, "start_date"), (4, "start_date"), (5, "start_date"),
    ]  # fmt: skip
    reasons = [p["reason"] for p in refused.errors]
    assert "date" in reasons[0].lower() and "31/02/2025" == refused.errors[0]["value"]
    assert reasons[1].startswith("The start date is after the event date (10/04/2025)")
    assert reasons[2].startswith("The start date is after the period's end (30/04/2025)")
    assert "date" in reasons[3].lower()
    assert not ChildRecord.objects.filter(submission=refused).exists()
    aggregate = upload(
        partner,
        lead,
        evaluation,
        "measure,period_start,period_end,group,value,start_date\nentries_to_care,01/04/2025,30/04/2025,all,3,\n",
    )
    assert aggregate.errors[0]["column"] == "start_date" and "child-level" in aggregate.errors[0]["reason"]
