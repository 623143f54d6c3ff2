"""Uploads as worker jobs: progress, XLSX, warnings that need an explanation, dry runs, locked
periods, idempotency, all-or-nothing storing and concurrent uploads."""

import io
import threading
from datetime import date

import pytest
from django.db import connection, transaction
from django.urls import reverse

from outcomes import services
from outcomes.models import OutcomeValue, PeriodApproval, Submission
from outcomes.tasks import process_submission
from pine.tenancy import partner_scope
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = "measure,period_start,period_end,group,value,numerator,denominator\n"
APRIL = "re_referrals_12m,01/04/2025,30/04/2025,intervention,20,40,200\n"
MAY = "re_referrals_12m,01/05/2025,31/05/2025,intervention,22,44,200\n"


def queue(partner, actor, evaluation, text, **kwargs):
    return services.submission_queue(
        partner=partner, actor=actor, evaluation=evaluation, filename="d.csv", content=text.encode(), **kwargs
    )


def sync(partner, actor, evaluation, text, filename="d.csv", **kwargs):
    content = text if isinstance(text, bytes) else text.encode()
    return services.submission_upload(
        partner=partner, actor=actor, evaluation=evaluation, filename=filename, content=content, **kwargs
    )


def workbook(rows) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.create_sheet("Ignored").append(["anything"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


XLSX_HEADER = ["measure", "period_start", "period_end", "group", "value", "numerator", "denominator"]


def test_an_upload_is_queued_then_the_worker_stores_it_with_progress_on_the_row(
    lead, partner, evaluation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission = queue(partner, lead, evaluation, HEADER + APRIL)
    assert submission.status == Submission.Status.QUEUED and submission.progress == 0
    assert not OutcomeValue.objects.exists()
    assert len(callbacks) == 1
    callbacks[0]()  # the worker (eager mode)
    submission.refresh_from_db()
    assert (submission.status, submission.progress, submission.row_count) == ("accepted", 100, 1)
    assert submission.started_at and submission.finished_at
    assert OutcomeValue.objects.filter(submission=submission, is_current=True).count() == 1


def test_the_task_is_idempotent_a_second_run_does_nothing(lead, partner, evaluation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        submission = queue(partner, lead, evaluation, HEADER + APRIL + MAY)
    assert services.submission_process(submission_id=submission.pk) == "accepted"
    assert services.submission_process(submission_id=submission.pk) == "skipped"
    assert process_submission.delay(submission.pk).get() == "skipped"
    assert OutcomeValue.objects.count() == 2
    assert services.submission_process(submission_id=10**9) == "missing"


def test_a_worker_that_died_is_taken_over(lead, partner, evaluation, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from tests.workers import held_elsewhere

    with django_capture_on_commit_callbacks(execute=False):
        submission = queue(partner, lead, evaluation, HEADER + APRIL)
    Submission.objects.filter(pk=submission.pk).update(status="running", started_at=timezone.now())
    with held_elsewhere(Submission, submission.pk):  # a live worker has it: its session holds the lock
        assert services.submission_process(submission_id=submission.pk) == "skipped"
    assert services.submission_process(submission_id=submission.pk) == "accepted"  # its worker died


def test_a_store_that_fails_half_way_leaves_no_values_and_says_so(lead, partner, evaluation, monkeypatch, caplog):
    monkeypatch.setattr(services, "STORE_CHUNK", 1)
    real, calls = services._store_chunk, []

    def fail_on_the_second_chunk(values):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real(values)

    sync(partner, lead, evaluation, HEADER + APRIL)
    monkeypatch.setattr(services, "_store_chunk", fail_on_the_second_chunk)
    newer = HEADER + APRIL.replace(",20,40,", ",21,42,") + MAY
    submission = sync(partner, lead, evaluation, newer)
    assert len(calls) == 2  # one row was written before the failure...
    assert submission.status == "failed" and "Nothing was stored" in submission.errors[0]["reason"]
    # ...and rolled back with everything else: the earlier value is still the current one.
    assert [float(v.value) for v in OutcomeValue.objects.filter(is_current=True)] == [20.0]
    assert not OutcomeValue.objects.filter(submission=submission).exists()


def test_a_dry_run_shows_new_changed_and_unchanged_rows_and_stores_nothing(lead, partner, evaluation):
    sync(partner, lead, evaluation, HEADER + APRIL + MAY)
    june = "re_referrals_12m,01/06/2025,30/06/2025,intervention,23,46,200\n"
    submission = sync(partner, lead, evaluation, HEADER + APRIL.replace(",20,40,", ",21,42,") + MAY + june, dry_run=True)
    assert submission.status == "checked"
    assert submission.change_counts() == {"new": 1, "changed": 1, "unchanged": 1}
    changed = next(c for c in submission.changes if c["kind"] == "changed")
    assert changed["old"] == {"value": "20", "numerator": "40", "denominator": "200"}
    assert changed["new"] == {"value": "21", "numerator": "42", "denominator": "200"}
    assert OutcomeValue.objects.count() == 2
    assert not OutcomeValue.objects.filter(submission=submission).exists()


def test_the_dry_run_checkbox_on_the_page(client, contributor, partner, evaluation, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(contributor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reports:evaluation", args=[partner.slug, evaluation.code]),
            {"file": SimpleUploadedFile("d.csv", (HEADER + APRIL).encode()), "dry_run": "on"},
        )
    page = client.get(response.url).content.decode()
    assert "Dry run" in page and "Nothing was stored" in page and "1 new, 0 changed, 0 unchanged" in page
    assert not OutcomeValue.objects.exists()


@pytest.mark.parametrize("value", ["100", "3.9"])
def test_a_value_five_times_or_a_fifth_of_the_previous_period_waits_for_an_explanation(
    value, client, contributor, partner, evaluation, django_capture_on_commit_callbacks
):
    sync(partner, contributor, evaluation, HEADER + APRIL)  # 20 in April
    with django_capture_on_commit_callbacks(execute=True):
        submission = queue(partner, contributor, evaluation, HEADER + MAY.replace(",22,44,200", f",{value},,"))
    submission.refresh_from_db()
    assert submission.status == "needs_explanation"
    assert submission.warnings[0]["previous_value"] == "20" and submission.warnings[0]["row"] == 2
    assert OutcomeValue.objects.filter(submission=submission).count() == 0
    client.force_login(contributor)
    url = reverse("outcomes:submission", args=[partner.slug, submission.code])
    page = client.get(url).content.decode()
    assert "Values to explain" in page and "Explain and store the values" in page
    assert "There is a problem" in client.post(url, {"explanation": "  "}).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"explanation": "A new referral route opened in May."})
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == "accepted" and submission.explanation == "A new referral route opened in May."
    assert OutcomeValue.objects.filter(submission=submission, is_current=True).count() == 1
    assert "A new referral route opened in May." in client.get(url).content.decode()


def test_values_within_five_times_and_a_first_period_give_no_warning(lead, partner, evaluation):
    submission = sync(partner, lead, evaluation, HEADER + APRIL)
    assert submission.warnings == []
    within = sync(partner, lead, evaluation, HEADER + MAY.replace(",22,44,200", ",99,,"))  # 99 < 5 x 20
    assert within.status == "accepted" and within.warnings == []


def test_an_explanation_is_only_taken_while_one_is_needed(lead, partner, evaluation):
    from django.core.exceptions import ValidationError

    submission = sync(partner, lead, evaluation, HEADER + APRIL)
    with pytest.raises(ValidationError):
        services.submission_explain(partner=partner, actor=lead, submission=submission, explanation="why not")


# --- XLSX ---------------------------------------------------------------------------------------------


def test_the_first_sheet_of_an_xlsx_workbook_is_read_with_real_dates_and_numbers(lead, partner, evaluation):
    content = workbook(
        [
            XLSX_HEADER,
            ["re_referrals_12m", date(2025, 4, 1), date(2025, 4, 30), "intervention", 22.5, 45, 200],
            ["re_referrals_12m", "01/05/2025", "31/05/2025", "all", 20, None, None],
        ]
    )
    submission = sync(partner, lead, evaluation, content, filename="data.xlsx")
    assert submission.status == "accepted", submission.errors
    values = OutcomeValue.objects.order_by("period_start")
    assert [(v.period_start, float(v.value), v.numerator) for v in values] == [
        (date(2025, 4, 1), 22.5, 45),
        (date(2025, 5, 1), 20.0, None),
    ]


@pytest.mark.parametrize(
    ("rows", "row", "column", "reason"),
    [
        ([XLSX_HEADER, ["re_referrals_12m", "01/04/2025", "30/04/2025", "all", "=B2*2", None, None]], 2, "value", "formulas"),
        ([XLSX_HEADER, ["re_referrals_12m", "31/02/2025", "30/04/2025", "all", 1, None, None]], 2, "period_start", "Not a date"),
        ([XLSX_HEADER, ["nope", "01/04/2025", "30/04/2025", "all", 1, None, None]], 2, "measure", "Unknown measure"),
        ([["measure", "value"], ["re_referrals_12m", 1]], 1, "period_start", "missing"),
        ([XLSX_HEADER], 0, "", "no data rows"),
    ],
)
def test_each_bad_workbook_is_refused_naming_the_problem(rows, row, column, reason, lead, partner, evaluation):
    submission = sync(partner, lead, evaluation, workbook(rows), filename="data.xlsx")
    assert submission.status == "rejected"
    assert any(p["row"] == row and p["column"] == column and reason in p["reason"] for p in submission.errors), submission.errors
    assert not OutcomeValue.objects.exists()


def test_a_file_named_xlsx_that_is_not_a_workbook_is_refused(lead, partner, evaluation):
    submission = sync(partner, lead, evaluation, b"PK\x03\x04 not really", filename="data.xlsx")
    assert submission.status == "rejected" and "cannot be read" in submission.errors[0]["reason"]


# --- locked periods ----------------------------------------------------------------------------------


def test_an_upload_touching_an_approved_period_is_refused_with_a_clear_message(lead, partner, evaluation, practice_admin):
    sync(partner, lead, evaluation, HEADER + APRIL)
    services.period_approve(actor=practice_admin, evaluation=evaluation, period_start=date(2025, 4, 1))
    submission = sync(partner, lead, evaluation, HEADER + APRIL.replace(",20,40,", ",21,42,") + MAY)
    assert submission.status == "rejected"
    assert submission.errors == [
        {"row": 2, "column": "period_start", "value": "01/04/2025", "reason": submission.errors[0]["reason"]}
    ]
    assert "locked" in submission.errors[0]["reason"] and "practice team" in submission.errors[0]["reason"]
    assert OutcomeValue.objects.count() == 1  # May was not stored either: a file is all or nothing


# --- concurrency -----------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_uploads_of_one_period_leave_exactly_one_current_version():

    partner = factories.PartnerFactory(slug="northshire")
    factories.PartnerFactory(slug="southbrook")
    lead = factories.MembershipFactory(partner=partner).user
    evaluation = factories.EvaluationFactory(application__partner=partner)
    submissions = []
    for value in ("20", "30"):
        with transaction.atomic(), partner_scope(partner.pk):
            submissions.append(
                services._submission_new(
                    partner=partner,
                    actor=lead,
                    evaluation=evaluation,
                    filename="d.csv",
                    content=(HEADER + APRIL.replace(",20,40,200", f",{value},,")).encode(),
                    dry_run=False,
                )
            )
    barrier, results, errors = threading.Barrier(2), [], []

    def work(submission_id):
        try:
            barrier.wait()
            results.append(services.submission_process(submission_id=submission_id))
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(s.pk,)) for s in submissions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Whichever worker stores first, the later upload's value is the one that stands: stored second
    # it supersedes the earlier value; stored first, the earlier upload is closed as superseded.
    assert not errors and sorted(results) in (["accepted", "accepted"], ["accepted", "superseded"])
    with transaction.atomic(), partner_scope(partner.pk):
        current = OutcomeValue.objects.get(evaluation=evaluation, is_current=True)
        assert current.submission == submissions[1] and current.value == 30
        if sorted(results) == ["accepted", "accepted"]:
            old = OutcomeValue.objects.get(evaluation=evaluation, is_current=False)
            assert old.superseded_by == current
        else:
            assert OutcomeValue.objects.filter(evaluation=evaluation).count() == 1
        assert PeriodApproval.objects.count() == 0
