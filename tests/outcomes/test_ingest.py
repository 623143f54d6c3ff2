"""The streaming import: child rows stored chunk by chunk with COPY inside the task's transaction,
aggregates added up across chunks, progress written as it goes, problems numbered by file row."""

import hashlib
import hmac
import statistics
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest

from outcomes import ingest, services
from outcomes.models import ChildRecord, OutcomeValue, Submission
from outcomes.parsing import CHILD_DUPLICATE_FIX
from pine import jobs

pytestmark = pytest.mark.django_db

HEADER = "child_ref,measure,period_start,period_end,group,value\n"


def child_file(children: int) -> str:
    """Three measures (count, percentage, days) for ``children`` children in two groups."""
    lines = [HEADER]
    for n in range(children):
        group = "intervention" if n % 3 else "comparison"
        lines.append(f"C{n},entries_to_care,01/04/2025,30/04/2025,{group},\n")
        lines.append(f"C{n},re_referrals_12m,01/04/2025,30/04/2025,{group},{n % 2}\n")
        lines.append(f"C{n},days_referral_to_assessment,01/04/2025,30/04/2025,{group},{n % 7 + 1}\n")
    return "".join(lines)


def expected_aggregates(children: int) -> dict:
    """The documented rule, worked out here without the import code."""
    found = defaultdict(list)
    for n in range(children):
        group = "intervention" if n % 3 else "comparison"
        found[("entries_to_care", group)].append(None)
        found[("re_referrals_12m", group)].append(n % 2)
        found[("days_referral_to_assessment", group)].append(n % 7 + 1)
    result = {}
    for (measure, group), values in found.items():
        n = len(values)
        if measure == "entries_to_care":
            result[(measure, group)] = (Decimal(n), None, None)
        elif measure == "re_referrals_12m":
            ones = sum(values)
            result[(measure, group)] = ((Decimal(100 * ones) / n).quantize(Decimal("0.0001"), ROUND_HALF_UP), ones, n)
        else:  # the library defines days from referral to assessment as a median
            result[(measure, group)] = (Decimal(str(statistics.median(values))).quantize(Decimal("0.0001")), None, n)
    return result


def upload(partner, actor, evaluation, text):
    return services.submission_upload(
        partner=partner, actor=actor, evaluation=evaluation, filename="children.csv", content=text.encode()
    )


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(services, "INGEST_CHUNK_ROWS", 10)


def test_a_multi_chunk_file_stores_every_child_and_the_same_aggregates_as_the_rule(lead, partner, evaluation, small_chunks):
    submission = upload(partner, lead, evaluation, child_file(25))  # 75 rows: 8 chunks
    assert submission.status == "accepted", submission.errors
    assert ChildRecord.objects.filter(submission=submission, partner=partner).count() == 75
    digest = hmac.new(b"test-pseudonym-key", b"C7", hashlib.sha256).hexdigest()
    stored = ChildRecord.objects.get(child_digest=digest, measure__code="days_referral_to_assessment")
    assert (stored.value, stored.group, stored.key_version, str(stored.period_end)) == (
        Decimal(1),
        "intervention",
        "v1",
        "2025-04-30",
    )
    values = {
        (v.measure.code, v.group): (v.value, v.numerator, v.denominator)
        for v in OutcomeValue.objects.filter(submission=submission).select_related("measure")
    }
    assert values == expected_aggregates(25)


def test_an_import_killed_half_way_leaves_no_rows(lead, partner, evaluation, small_chunks, monkeypatch):
    real, calls = ingest.ChildCopy.__call__, []

    def killed_after_the_first_chunk(self, children):
        calls.append(len(children["lines"]))
        if len(calls) == 2:
            assert ChildRecord.objects.count() == 10  # the first chunk went in...
            raise RuntimeError("worker killed")
        return real(self, children)

    monkeypatch.setattr(ingest.ChildCopy, "__call__", killed_after_the_first_chunk)
    submission = upload(partner, lead, evaluation, child_file(10))
    assert submission.status == "failed" and "Nothing was stored" in submission.errors[0]["reason"]
    assert not ChildRecord.objects.exists() and not OutcomeValue.objects.exists()  # ...and went out again


def test_a_file_refused_after_some_chunks_were_stored_keeps_nothing(lead, partner, evaluation, small_chunks):
    text = child_file(10) + "C1,entries_to_care,01/04/2025,30/04/2025,intervention,\n"  # a duplicate of row 5
    submission = upload(partner, lead, evaluation, text)
    assert submission.status == "rejected"
    assert submission.errors == [
        {
            "row": 32,
            "column": "period_start",
            "value": "01/04/2025",
            "reason": "Duplicate: row 5 has the same child, measure, group and period. " + CHILD_DUPLICATE_FIX,
        }
    ]
    assert not ChildRecord.objects.exists() and not OutcomeValue.objects.exists()


def test_problems_in_later_chunks_name_their_file_rows(lead, partner, evaluation, small_chunks):
    lines = child_file(10).splitlines(keepends=True)
    lines[24] = "C7,re_referrals_12m,01/04/2025,30/04/2025,intervention,5\n"  # file row 25
    lines[29] = "C9,nope,01/04/2025,xx,all,\n"  # file row 30
    submission = upload(partner, lead, evaluation, "".join(lines))
    assert submission.status == "rejected"
    assert [(p["row"], p["column"], p["value"]) for p in submission.errors] == [
        (25, "value", "5"),
        (30, "measure", "nope"),
        (30, "period_end", "xx"),
    ]
    assert all("C7" not in str(p) and "C9" not in str(p) for p in submission.errors)


def test_a_blank_row_of_spaces_counts_as_a_row_like_in_a_spreadsheet(lead, partner, evaluation):
    text = HEADER + "C1,entries_to_care,01/04/2025,30/04/2025,all,\n   \nC2,nope,01/04/2025,30/04/2025,all,\n"
    submission = upload(partner, lead, evaluation, text)
    assert [(p["row"], p["column"]) for p in submission.errors] == [(4, "measure")]


@pytest.mark.django_db(transaction=True)
def test_progress_is_written_while_the_import_runs(lead, partner, evaluation, small_chunks, monkeypatch):
    written = []
    real_store = jobs.Job._store_progress

    def store_progress(job, percent, stage):
        written.append((percent, stage))
        return real_store(job, percent, stage)

    real_copy = ingest.ChildCopy.__call__

    def slow_copy(self, children):
        import time

        time.sleep(0.3)  # long enough for the progress thread to see each chunk
        return real_copy(self, children)

    monkeypatch.setattr(jobs.Job, "_store_progress", store_progress)
    monkeypatch.setattr(ingest.ChildCopy, "__call__", slow_copy)
    submission = upload(partner, lead, evaluation, child_file(20))
    assert submission.status == "accepted", submission.errors
    storing = [p for p, stage in written if stage == ingest.STAGE]
    assert len(set(storing)) >= 3 and storing == sorted(storing)  # it moved forward, chunk by chunk
    assert Submission.objects.get(pk=submission.pk).progress == 100


def test_deleting_a_submission_still_deletes_its_child_rows(lead, partner, evaluation, small_chunks):
    """Child rows carry no database foreign keys (a lookup per row each): Django's delete cascades."""
    submission = upload(partner, lead, evaluation, child_file(10))
    assert submission.status == "accepted", submission.errors
    assert ChildRecord.objects.filter(submission=submission).exists()
    Submission.objects.get(pk=submission.pk).delete()
    assert not ChildRecord.objects.exists() and not OutcomeValue.objects.exists()


def test_each_field_is_stored_as_the_file_gives_it(lead, partner, evaluation, small_chunks):
    """The rows go to PostgreSQL in COPY's binary format: each column's type encoded by the import
    itself. Every field comes back as the ORM would have saved it: dates (and no date), both key
    versions, measures, groups, and values rounded to the column's 4 places, half to even."""
    earlier = "pseudo:v0:" + "ab" * 32  # a reference pseudonymised before, under an earlier key
    text = (
        "child_ref,measure,period_start,period_end,event_date,start_date,group,value\n"
        "C1,days_referral_to_assessment,01/04/2025,30/04/2025,02/04/2025,31/12/1999,intervention,2.00005\n"
        "C1,days_referral_to_assessment,01/05/2025,31/05/2025,,,intervention,2.00015\n"
        "C2,days_referral_to_assessment,01/04/2025,30/04/2025,30/04/2025,01/01/2000,comparison,9999999999.9999\n"
        f"{earlier},days_referral_to_assessment,01/04/2025,30/04/2025,,2024-02-29,all,0\n"
        "C2,entries_to_care,01/04/2025,30/04/2025,,,comparison,\n"
        "C3,re_referrals_12m,01/05/2025,31/05/2025,15/05/2025,,all,1\n"
    )
    submission = upload(partner, lead, evaluation, text)
    assert submission.status == "accepted", submission.errors

    def digest(ref):
        return hmac.new(b"test-pseudonym-key", ref.encode(), hashlib.sha256).hexdigest()

    stored = sorted(
        (r.child_digest, r.key_version, r.measure.code, str(r.period_start), str(r.period_end), str(r.event_date),
         str(r.start_date), r.group, r.value, r.partner_id, r.evaluation_id)
        for r in ChildRecord.objects.filter(submission=submission).select_related("measure")
    )  # fmt: skip
    ids, days, april, may = (
        (partner.pk, evaluation.pk),
        "days_referral_to_assessment",
        ("2025-04-01", "2025-04-30"),
        ("2025-05-01", "2025-05-31"),
    )
    assert stored == sorted([
        (digest("C1"), "v1", days, *april, "2025-04-02", "1999-12-31", "intervention", Decimal("2.0000"), *ids),
        (digest("C1"), "v1", days, *may, "None", "None", "intervention", Decimal("2.0002"), *ids),
        (digest("C2"), "v1", days, *april, "2025-04-30", "2000-01-01", "comparison", Decimal("9999999999.9999"), *ids),
        ("ab" * 32, "v0", days, *april, "None", "2024-02-29", "all", Decimal("0.0000"), *ids),
        (digest("C2"), "v1", "entries_to_care", *april, "None", "None", "comparison", None, *ids),
        (digest("C3"), "v1", "re_referrals_12m", *may, "2025-05-15", "None", "all", Decimal("1.0000"), *ids),
    ])  # fmt: skip


def test_empty_rows_among_child_rows_are_skipped_whichever_chunk_they_fall_in(lead, partner, evaluation, small_chunks):
    lines = child_file(8).splitlines(keepends=True)
    # Empty rows as a spreadsheet saves them: chunks with some, and chunks of nothing else (this failed
    # the import: a chunk's good rows share the whole chunk's distinct values, the empty ones too)
    text = "".join(lines[:13]) + ",,,,,\n" * 25 + "".join(lines[13:])
    submission = upload(partner, lead, evaluation, text)
    assert submission.status == "accepted", submission.errors
    assert ChildRecord.objects.filter(submission=submission).count() == 24


def test_copy_data_of_no_rows_is_an_empty_copy():
    from outcomes.ingest import COPY_SIGNATURE, COPY_TRAILER, copy_data

    assert copy_data({"child": np.array([], dtype=object)}, {}) == COPY_SIGNATURE + COPY_TRAILER
