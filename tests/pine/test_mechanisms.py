"""The platform's one-of-each mechanisms, on their own: audited writes, the form-to-service call
and the job runner."""

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from cohorts.forms.applications import ConfirmForm
from pine import jobs
from pine.audit import audited_update
from pine.models import AuditEvent, Partner
from pine.views import run_service
from reports.models import Report
from tests import factories

pytestmark = pytest.mark.django_db


def test_audited_update_saves_only_what_changed_and_records_it(practice_admin):
    partner = factories.PartnerFactory(name="Northshire", region="east_midlands")
    with CaptureQueriesContext(connection) as queries:
        changes = audited_update(
            partner, {"name": "Northshire CC", "region": "east_midlands"}, actor=practice_admin, partner=partner, action="t.u"
        )
    assert changes == {"name": ["Northshire", "Northshire CC"]}
    update = next(q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE"))
    assert '"name"' in update and '"region"' not in update
    assert Partner.objects.get(pk=partner.pk).name == "Northshire CC"
    assert AuditEvent.objects.get(action="t.u").changes == changes


def test_audited_update_checks_the_services_rules_before_saving(practice_admin):
    partner = factories.PartnerFactory(name="Northshire")

    def refuse(row):
        raise ValidationError({"name": "Not that name."})

    with pytest.raises(ValidationError):
        audited_update(partner, {"name": "Other"}, actor=practice_admin, partner=partner, action="t.u", validate=refuse)
    assert Partner.objects.get(pk=partner.pk).name == "Northshire"
    assert not AuditEvent.objects.filter(action="t.u").exists()


def test_run_service_shows_a_refusal_on_the_form_and_keeps_nothing_of_it():
    form = ConfirmForm({"confirm": "yes"})

    def service():
        factories.PartnerFactory(slug="half-written")
        raise ValidationError({"confirm": "Not now.", "nowhere": "Elsewhere."})

    outcome = run_service(form, service)
    assert not outcome.ok
    assert form.errors == {"confirm": ["Not now."], "__all__": ["Elsewhere."]}
    assert not Partner.objects.filter(slug="half-written").exists()  # rolled back to the savepoint
    assert not run_service(ConfirmForm({}), lambda: pytest.fail("an invalid form calls nothing")).ok


def test_run_job_claims_once_fails_with_a_reason_and_requeues_on_database_errors(lead, partner):
    report = factories.ReportFactory(evaluation=factories.EvaluationFactory(application__partner=partner))

    def broken(job):
        raise RuntimeError("a bug")

    def nothing(cause):
        return {}

    assert jobs.run_job(Report, report.pk, broken, first_stage="Starting", failure=lambda _: {"error": "Try later."}) == "failed"
    report.refresh_from_db()
    assert (report.status, report.error) == ("failed", "Try later.") and report.finished_at
    assert jobs.run_job(Report, report.pk, broken, first_stage="Starting", failure=nothing) == "skipped"  # nothing to claim
    assert jobs.run_job(Report, 10**9, broken, first_stage="Starting", failure=nothing) == "missing"

    Report.objects.filter(pk=report.pk).update(status="queued")

    def database_away(job):
        raise OperationalError("server closed the connection")

    with pytest.raises(OperationalError):
        jobs.run_job(Report, report.pk, database_away, first_stage="Starting", failure=nothing)
    report.refresh_from_db()
    assert (report.status, report.stage) == ("queued", "Waiting to retry")  # the task's retry claims it again


def test_resume_sends_queued_rows_and_rows_whose_worker_died_but_not_a_live_workers(partner):
    from tests.workers import held_elsewhere

    evaluation = factories.EvaluationFactory(application__partner=partner)
    queued, orphaned, live, done = (
        factories.ReportFactory(evaluation=evaluation, status=status) for status in ("queued", "running", "running", "done")
    )
    sent = []

    class Task:
        name = "build"

        @staticmethod
        def delay(pk):
            sent.append(pk)

    with held_elsewhere(Report, live.pk):
        assert jobs.resume(Report, Task) == 2
    assert sorted(sent) == sorted([queued.pk, orphaned.pk])


def test_a_job_that_keeps_killing_its_worker_ends_failed_after_a_bounded_number_of_takeovers(client, lead, partner, monkeypatch):
    from django.urls import reverse

    from reports import services as report_services

    report = factories.ReportFactory(evaluation=factories.EvaluationFactory(application__partner=partner))
    runs = []

    def dies(job):
        # As a worker killed half-way (out of memory, say): the row is left running, and its lock
        # goes with the worker's connection.
        runs.append(job.pk)
        return "running"

    monkeypatch.setattr(report_services, "_build", dies)
    for _ in range(1 + jobs.MAX_TAKEOVERS):  # the first run, then each takeover by a new worker
        assert report_services.report_build(report_id=report.pk) == "running"
    assert report_services.report_build(report_id=report.pk) == "failed"
    assert len(runs) == 1 + jobs.MAX_TAKEOVERS  # the last worker did not run it again
    assert report_services.report_build(report_id=report.pk) == "skipped"  # nor does the sweep

    report.refresh_from_db()
    assert report.status == "failed" and report.finished_at
    assert f"its worker stopped {1 + jobs.MAX_TAKEOVERS} times before it was done" in report.error
    assert AuditEvent.objects.filter(action=jobs.TAKEOVER, object_code=str(report.code)).count() == jobs.MAX_TAKEOVERS

    client.force_login(lead)
    page = client.get(reverse("reports:report", args=[partner.slug, report.code])).content.decode()
    assert "The report could not be built" in page and f"stopped {1 + jobs.MAX_TAKEOVERS} times" in page
