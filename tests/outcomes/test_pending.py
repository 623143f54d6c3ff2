"""Uploads waiting for the uploader: superseded by a later stored upload, discarded, or (a clean dry
run) stored without a new upload."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from outcomes import services
from outcomes.models import OutcomeValue, Submission
from tests import factories
from tests.conftest import token_client
from tests.outcomes.test_integrity import line
from tests.outcomes.test_jobs import HEADER, sync

pytestmark = pytest.mark.django_db


def page_of(client, partner, submission) -> str:
    return client.get(reverse("outcomes:submission", args=[partner.slug, submission.code])).content.decode()


def current_value(month: int):
    return OutcomeValue.objects.get(is_current=True, period_start=f"2025-{month:02d}-01").value


def test_a_pending_upload_is_superseded_when_a_later_upload_of_its_periods_is_stored(client, lead, partner, evaluation):
    sync(partner, lead, evaluation, HEADER + line(3, 40) + line(4, 42))
    typo = sync(partner, lead, evaluation, HEADER + line(4, "4") + line(5, 41))  # April's 4 is a fifth of March's 40
    assert typo.status == "needs_explanation"
    correction = sync(partner, lead, evaluation, HEADER + line(4, 43))
    typo.refresh_from_db()
    assert typo.status == "superseded" and typo.superseded_by == correction and typo.kept_bytes() == b""
    with pytest.raises(ValidationError):
        services.submission_explain(partner=partner, actor=lead, submission=typo, explanation="It was right.")
    assert current_value(4) == 43
    client.force_login(lead)
    page = page_of(client, partner, typo)
    assert "Replaced by a later upload" in page and str(correction.code) in page
    assert "Explain and store the values" not in page


def test_an_upload_of_other_periods_leaves_a_pending_upload_alone(lead, partner, evaluation):
    sync(partner, lead, evaluation, HEADER + line(3, 40))
    pending = sync(partner, lead, evaluation, HEADER + line(4, "4"))
    sync(partner, lead, evaluation, HEADER + line(6, 40))
    pending.refresh_from_db()
    assert pending.status == "needs_explanation"


def test_an_explained_upload_processed_after_a_later_one_was_stored_does_not_overwrite_it(
    lead, partner, evaluation, django_capture_on_commit_callbacks
):
    sync(partner, lead, evaluation, HEADER + line(3, 40))
    typo = sync(partner, lead, evaluation, HEADER + line(4, "4"))
    # The explanation queues it; before a worker takes it, a later correction is stored.
    services.submission_explain(partner=partner, actor=lead, submission=typo, explanation="Really 4.")
    correction = sync(partner, lead, evaluation, HEADER + line(4, 41))
    services.submission_process(submission_id=typo.pk)
    typo.refresh_from_db()
    assert typo.status == "superseded" and typo.superseded_by == correction
    assert current_value(4) == 41 and not OutcomeValue.objects.filter(submission=typo).exists()


def test_the_uploader_discards_a_pending_upload_or_a_dry_run_by_page_and_api(client, lead, partner, evaluation):
    sync(partner, lead, evaluation, HEADER + line(3, 40))
    pending = sync(partner, lead, evaluation, HEADER + line(4, "4"))
    client.force_login(lead)
    url = reverse("outcomes:submission", args=[partner.slug, pending.code])
    assert "Discard this upload" in page_of(client, partner, pending)
    assert client.post(url, {"action": "discard"}).status_code == 302
    pending.refresh_from_db()
    assert pending.status == "discarded" and pending.kept_bytes() == b""
    assert "Discarded: nothing from this file was stored" in page_of(client, partner, pending)
    # Only once, and never an accepted upload.
    client.post(url, {"action": "discard"})
    assert "can be discarded" in page_of(client, partner, pending)
    accepted = Submission.objects.get(status="accepted")
    with pytest.raises(ValidationError):
        services.submission_discard(partner=partner, actor=lead, submission=accepted)

    dry_run = sync(partner, lead, evaluation, HEADER + line(5, 41), dry_run=True)
    api = token_client(lead)
    response = api.post(f"/api/v1/partners/{partner.slug}/submissions/{dry_run.code}/discard/")
    assert response.status_code == 200 and response.json()["status"] == "discarded"
    refused = api.post(f"/api/v1/partners/{partner.slug}/submissions/{accepted.code}/discard/")
    assert refused.status_code == 400
    assert OutcomeValue.objects.filter(is_current=True).count() == 1


def test_a_clean_dry_run_is_stored_without_a_new_upload(client, lead, partner, evaluation, django_capture_on_commit_callbacks):
    dry_run = sync(partner, lead, evaluation, HEADER + line(4, 40) + line(5, 41), dry_run=True)
    assert dry_run.status == "checked" and not OutcomeValue.objects.exists()
    client.force_login(lead)
    url = reverse("outcomes:submission", args=[partner.slug, dry_run.code])
    assert "Store this file" in page_of(client, partner, dry_run)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"action": "store"}).status_code == 302
    dry_run.refresh_from_db()
    assert dry_run.status == "accepted" and not dry_run.dry_run and dry_run.row_count == 2
    assert current_value(5) == 41
    assert "Store this file" not in page_of(client, partner, dry_run)


def test_a_dry_run_is_stored_through_the_api_and_a_refused_file_cannot_be(
    lead, partner, evaluation, django_capture_on_commit_callbacks
):
    api = token_client(lead)
    dry_run = sync(partner, lead, evaluation, HEADER + line(4, 40), dry_run=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/partners/{partner.slug}/submissions/{dry_run.code}/store/")
    assert response.status_code == 200 and response.json()["status"] == "queued"
    dry_run.refresh_from_db()
    assert dry_run.status == "accepted" and current_value(4) == 40
    rejected = sync(partner, lead, evaluation, HEADER + line(4, "lots"), dry_run=True)
    assert rejected.status == "rejected"
    response = api.post(f"/api/v1/partners/{partner.slug}/submissions/{rejected.code}/store/")
    assert response.status_code == 400 and "Upload the file again" in str(response.json())


def test_a_dry_run_superseded_by_a_stored_upload_cannot_be_stored(lead, partner, evaluation):
    dry_run = sync(partner, lead, evaluation, HEADER + line(4, 40), dry_run=True)
    sync(partner, lead, evaluation, HEADER + line(4, 39))
    dry_run.refresh_from_db()
    assert dry_run.status == "superseded"
    with pytest.raises(ValidationError):
        services.submission_store_checked(partner=partner, actor=lead, submission=dry_run)


def test_the_submission_list_reads_what_superseded_each_upload_in_a_fixed_number_of_queries(
    lead, partner, evaluation, django_assert_max_num_queries
):
    api = token_client(lead)
    url = f"/api/v1/partners/{partner.slug}/evaluations/{evaluation.code}/submissions/"
    later = factories.SubmissionFactory(evaluation=evaluation)
    factories.SubmissionFactory(evaluation=evaluation, status="superseded", superseded_by=later)
    api.get(url)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as one:
        assert {row["superseded_by"] for row in api.get(url).json()["results"]} == {None, str(later.code)}
    for _ in range(5):
        stored = factories.SubmissionFactory(evaluation=evaluation)
        factories.SubmissionFactory(evaluation=evaluation, status="superseded", superseded_by=stored)
    with django_assert_max_num_queries(len(one.captured_queries)):
        rows = api.get(url).json()["results"]
    assert len(rows) == 12 and sum(row["superseded_by"] is not None for row in rows) == 6
