"""Report builds: requested on a page or by API, built by a Celery task, downloaded by the partner."""

import re
import time
import uuid

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from outcomes import services as outcome_services
from pine import services as pine_services
from pine.celery import app as celery_app
from pine.tenancy import practice_scope
from reports import services
from reports.models import Report
from tests import factories
from tests.outcomes.test_uploads import GOOD
from tests.workers import held_elsewhere

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluation_with_data(evaluation, lead, partner):
    outcome_services.submission_upload(
        partner=partner, actor=lead, evaluation=evaluation, filename="d.csv", content=GOOD.encode()
    )
    return evaluation


def test_a_contributor_builds_a_report_and_downloads_html_and_pdf(
    client, contributor, partner, evaluation_with_data, django_capture_on_commit_callbacks
):
    client.force_login(contributor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:report_request", args=[partner.slug, evaluation_with_data.code]))
    report = Report.objects.get()
    assert response.url == reverse("reports:report", args=[partner.slug, report.code])
    assert report.status == Report.Status.DONE and report.progress == 100
    page = client.get(response.url).content.decode()
    crumbs = re.search(r'<nav class="govuk-breadcrumbs".*?</nav>', page, re.S)  # back to the evaluation
    assert crumbs and reverse("reports:evaluation", args=[partner.slug, report.evaluation.code]) in crumbs.group(0)
    # The "being built" notice went with the progress: it never stays above "ready".
    assert "Your report is ready" in page and "being built" not in page
    html = client.get(reverse("reports:report_download", args=[partner.slug, report.code, "html"]))
    assert html["Content-Disposition"].startswith("attachment;") and evaluation_with_data.title in html.content.decode()
    pdf = client.get(reverse("reports:report_download", args=[partner.slug, report.code, "pdf"]))
    assert pdf.content.startswith(b"%PDF") and pdf["Content-Type"] == "application/pdf"


def test_the_progress_part_polls_until_the_report_is_finished(client, lead, partner, evaluation):
    report = factories.ReportFactory(evaluation=evaluation, status=Report.Status.RUNNING, progress=40, stage="Drawing charts")
    client.force_login(lead)
    part = client.get(reverse("reports:report", args=[partner.slug, report.code]), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in part and 'value="40"' in part and "Drawing charts" in part
    assert "Your report is being built" in part
    assert "<html" not in part
    Report.objects.filter(pk=report.pk).update(status=Report.Status.DONE, progress=100, html=b"x", pdf=b"%PDF")
    part = client.get(reverse("reports:report", args=[partner.slug, report.code]), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in part and "Your report is ready" in part


def test_an_unfinished_report_cannot_be_downloaded(client, lead, partner, evaluation):
    report = factories.ReportFactory(evaluation=evaluation)
    client.force_login(lead)
    assert client.get(reverse("reports:report_download", args=[partner.slug, report.code, "pdf"])).status_code == 404


def test_the_build_is_idempotent(evaluation_with_data):
    report = factories.ReportFactory(evaluation=evaluation_with_data)
    assert services.report_build(report_id=report.pk) == "done"
    first = bytes(Report.objects.get(pk=report.pk).pdf)
    assert services.report_build(report_id=report.pk) == "skipped"
    assert bytes(Report.objects.get(pk=report.pk).pdf) == first
    assert services.report_build(report_id=10**9) == "missing"


def test_a_report_whose_worker_died_is_taken_over_but_a_live_one_is_not(evaluation_with_data):
    live = factories.ReportFactory(evaluation=evaluation_with_data, status=Report.Status.RUNNING, started_at=timezone.now())
    with held_elsewhere(Report, live.pk):  # its worker's session holds the row's lock
        assert services.report_build(report_id=live.pk) == "skipped"
    # A worker that died no longer holds it, however recently it started.
    dead = factories.ReportFactory(evaluation=evaluation_with_data, status=Report.Status.RUNNING, started_at=timezone.now())
    assert services.report_build(report_id=dead.pk) == "done"


def test_a_failed_build_says_so_and_writes_no_files(evaluation_with_data, monkeypatch):
    import reports.documents

    def broken(*args, **kwargs):
        raise RuntimeError("chart engine exploded")

    monkeypatch.setattr(reports.documents, "report_pdf", broken)
    report = factories.ReportFactory(evaluation=evaluation_with_data)
    assert services.report_build(report_id=report.pk) == "failed"
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED and report.html is None and report.pdf is None
    assert "could not be built" in report.error and "exploded" not in report.error


def test_the_task_learns_its_partner_from_the_row_not_from_an_argument(evaluation_with_data, other_evaluation):
    report = factories.ReportFactory(evaluation=evaluation_with_data)
    factories.ReportFactory(evaluation=other_evaluation)
    from reports.tasks import build_report

    assert build_report.run(report.pk) == "done"
    assert Report.objects.filter(status=Report.Status.DONE).count() == 1


def test_reports_through_the_api(lead, partner, evaluation_with_data, django_capture_on_commit_callbacks):
    _, key = pine_services.api_token_create(user=lead, name="t")
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    with django_capture_on_commit_callbacks(execute=True):
        queued = api.post(f"/api/v1/partners/{partner.slug}/evaluations/{evaluation_with_data.code}/reports/")
    assert queued.status_code == 202
    code = queued.json()["code"]
    status = api.get(f"/api/v1/partners/{partner.slug}/reports/{code}/").json()
    assert status["status"] == "done" and status["progress"] == 100
    assert api.get(f"/api/v1/partners/{partner.slug}/reports/{code}/pdf/").content.startswith(b"%PDF")


def test_the_other_partner_gets_404_for_reports(client, lead, partner, evaluation_with_data, other_lead, other_partner):
    report = factories.ReportFactory(evaluation=evaluation_with_data)
    services.report_build(report_id=report.pk)
    client.force_login(other_lead)
    for url in [
        reverse("reports:report", args=[partner.slug, report.code]),
        reverse("reports:report", args=[other_partner.slug, report.code]),
        reverse("reports:report_download", args=[other_partner.slug, report.code, "pdf"]),
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("reports:report_request", args=[other_partner.slug, evaluation_with_data.code])).status_code == 404
    _, key = pine_services.api_token_create(user=other_lead, name="t")
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(f"/api/v1/partners/{other_partner.slug}/reports/{report.code}/").status_code == 404
    assert api.get(f"/api/v1/partners/{other_partner.slug}/reports/{report.code}/pdf/").status_code == 404
    assert api.post(f"/api/v1/partners/{other_partner.slug}/evaluations/{evaluation_with_data.code}/reports/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_builds_the_report_from_redis(partner, lead):
    """No eager mode here: the task goes through Redis to a worker thread with its own connection."""
    from celery.contrib.testing.worker import start_worker

    evaluation = factories.EvaluationFactory(application__partner=partner)
    outcome_services.submission_upload(
        partner=partner, actor=lead, evaluation=evaluation, filename="d.csv", content=GOOD.encode()
    )
    queue = f"test-{uuid.uuid4().hex[:8]}"
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = False, queue
    try:
        # Starting a worker closes this thread's connection (Celery's Django fix-up), and with it the
        # test's session-wide scope: set the scope explicitly around each step.
        with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=30):
            with transaction.atomic(), practice_scope():
                report = services.report_request(partner=partner, actor=lead, evaluation=evaluation)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with transaction.atomic(), practice_scope():
                    report.refresh_from_db()
                if report.is_finished:
                    break
                time.sleep(0.2)
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = saved
    assert report.status == Report.Status.DONE, report.error
    assert bytes(report.pdf).startswith(b"%PDF")
