"""Faults, with real processes: a worker killed half-way through an import or a report, Redis away,
PostgreSQL's connections cut (as a restart does) while pages are served and a job runs, and a disk
that fills while a report is written. Nothing half-done is ever visible, and every job ends once."""

import errno
import os
import re
import signal
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections, connection, transaction
from django.urls import reverse

from cohorts.models import EventRegistration
from outcomes import services as outcome_services
from outcomes.models import ChildRecord, OutcomeValue, Submission
from pine import jobs, ratelimit
from pine.models import AuditEvent, Invitation, Partner
from pine.tenancy import practice_scope
from reports import services as report_services
from reports.models import Report
from tests import factories
from tests.outcomes.test_ingest import child_file, expected_aggregates
from tests.outcomes.test_uploads import GOOD
from tests.workers import Worker, queue_of_its_own, row, terminate_connections, wait_for

CHILDREN = 20  # 60 child rows: six chunks of ten in a slowed worker
SLOW = 0.6  # seconds a slowed worker spends on each chunk, and on a report's charts
UNUSED_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def queue_upload(partner, lead, evaluation, text):
    with transaction.atomic(), practice_scope():
        return outcome_services.submission_queue(
            partner=partner, actor=lead, evaluation=evaluation, filename="children.csv", content=text.encode()
        )


def request_report(partner, lead, evaluation):
    with transaction.atomic(), practice_scope():
        return report_services.report_request(partner=partner, actor=lead, evaluation=evaluation)


def stored_of(submission) -> tuple[int, int]:
    with transaction.atomic(), practice_scope():
        return (
            ChildRecord.objects.filter(submission=submission.pk).count(),
            OutcomeValue.objects.filter(submission=submission.pk).count(),
        )


def accepted_records(submission) -> int:
    with transaction.atomic(), practice_scope():
        return AuditEvent.objects.filter(action="submission.accepted", object_code=str(submission.code)).count()


def started(model, pk, *, beyond: int = 5):
    state = row(model, pk, "status", "progress")
    return state["status"] == "running" and state["progress"] > beyond


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_half_way_through_an_import_stores_nothing_and_the_next_worker_imports_it_once(
    partner, lead, evaluation, tmp_path
):
    with queue_of_its_own() as queue:
        first = Worker(queue, tmp_path / "first.log", slow=SLOW)
        try:
            submission = queue_upload(partner, lead, evaluation, child_file(CHILDREN))
            wait_for(lambda: started(Submission, submission.pk), timeout=60, what="the import did not start", worker=first)
        finally:
            first.kill()  # SIGKILL, half-way: some chunks were copied in, none committed
        assert row(Submission, submission.pk, "status")["status"] == "running"
        assert stored_of(submission) == (0, 0)

        second = Worker(queue, tmp_path / "second.log")  # sends what no worker has as it starts
        try:
            wait_for(
                lambda: row(Submission, submission.pk, "status")["status"] == "accepted",
                timeout=90,
                what="the next worker did not finish the import",
                worker=second,
            )
        finally:
            second.kill()
    assert stored_of(submission) == (3 * CHILDREN, len(expected_aggregates(CHILDREN)))
    assert accepted_records(submission) == 1


@pytest.mark.django_db(transaction=True)
def test_an_import_that_kills_every_worker_ends_failed_after_two_takeovers_and_keeps_nothing(partner, lead, evaluation, tmp_path):
    with queue_of_its_own() as queue:
        submission = queue_upload(partner, lead, evaluation, child_file(CHILDREN))
        # The first worker, then one per takeover (each sends what no worker has as it starts):
        # each dies on the import, leaving the row running.
        for attempt in range(1 + jobs.MAX_TAKEOVERS):
            worker = Worker(queue, tmp_path / f"worker-{attempt}.log", dies=True)
            try:
                worker.process.wait(timeout=120)
            finally:
                worker.kill()
            assert row(Submission, submission.pk, "status")["status"] == "running", worker.log()
        last = Worker(queue, tmp_path / "last.log", dies=True)
        try:
            wait_for(
                lambda: row(Submission, submission.pk, "status")["status"] == "failed",
                timeout=120,
                what="the sweep did not give up on the import",
                worker=last,
            )
            assert last.process.poll() is None  # it did not run the import again
        finally:
            last.kill()
    (problem,) = row(Submission, submission.pk, "errors")["errors"]
    assert f"its worker stopped {1 + jobs.MAX_TAKEOVERS} times before it was done" in problem["reason"]
    assert stored_of(submission) == (0, 0)
    assert row(Submission, submission.pk, "received", "kept") == {"received": "", "kept": ""}


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_killed_half_way_through_a_report_keeps_no_file_and_its_replacement_builds_it(partner, lead, tmp_path):
    evaluation = factories.EvaluationFactory(application__partner=partner)
    with transaction.atomic(), practice_scope():
        outcome_services.submission_upload(
            partner=partner, actor=lead, evaluation=evaluation, filename="d.csv", content=GOOD.encode()
        )
    with queue_of_its_own() as queue:
        worker = Worker(queue, tmp_path / "worker.log", pool="prefork", slow=3 * SLOW)
        try:
            report = request_report(partner, lead, evaluation)
            wait_for(lambda: started(Report, report.pk, beyond=39), timeout=90, what="the build did not start", worker=worker)
            (child,) = worker.pool_children()
            # The pool's process dies (out of memory, say): Celery hands the task back to the queue
            # (acks_late, reject_on_worker_lost) and a new process takes over the orphaned row.
            os.kill(child, signal.SIGKILL)
            state = row(Report, report.pk, "status", "html", "pdf")
            assert (state["status"], state["html"], state["pdf"]) == ("running", None, None)
            wait_for(
                lambda: row(Report, report.pk, "status")["status"] in ("done", "failed"),
                timeout=90,
                what="the new process did not build the report",
                worker=worker,
            )
        finally:
            worker.kill()
    state = row(Report, report.pk, "status", "error", "pdf")
    assert state["status"] == "done", state["error"]
    assert bytes(state["pdf"]).startswith(b"%PDF")


@pytest.mark.django_db(transaction=True)
def test_with_redis_away_pages_serve_jobs_wait_queued_and_run_when_it_is_back(
    client, partner, lead, evaluation, settings, tmp_path, caplog
):
    from pine.celery import app as celery_app

    # Data stored while Redis was up: a report is offered only once there is some.
    outcome_services.submission_upload(
        partner=partner, actor=lead, evaluation=evaluation, filename="d.csv", content=GOOD.encode()
    )
    with queue_of_its_own() as queue:
        saved = celery_app.conf.broker_url, settings.CACHES, settings.REDIS_URL
        settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": UNUSED_REDIS}}
        settings.REDIS_URL = UNUSED_REDIS
        _use_broker(celery_app, UNUSED_REDIS)
        try:
            signed_in = client.post(reverse("login"), {"username": lead.email, "password": factories.PASSWORD})
            assert signed_in.status_code == 302, signed_in.content.decode()[:2000]
            page = reverse("reports:evaluation", args=[partner.slug, evaluation.code])
            assert client.get(page).status_code == 200
            health = client.get(reverse("healthz"))
            assert health.status_code == 503
            assert health.json()["redis"].startswith("error") and health.json()["database"] == "ok"

            uploaded = client.post(page, {"file": SimpleUploadedFile("children.csv", child_file(3).encode())})
            assert uploaded.status_code == 302
            requested = client.post(reverse("reports:report_request", args=[partner.slug, evaluation.code]))
            assert requested.status_code == 302
            assert "Waiting for a worker" in client.get(requested.url).content.decode()
        finally:
            _use_broker(celery_app, saved[0])
            settings.CACHES, settings.REDIS_URL = saved[1:]
        with transaction.atomic(), practice_scope():
            submission, report = Submission.objects.get(filename="children.csv"), Report.objects.get()
        assert (submission.status, report.status) == ("queued", "queued")
        assert "stays queued" in caplog.text

        worker = Worker(queue, tmp_path / "worker.log")  # Redis is back: the next worker sends them
        try:
            wait_for(
                lambda: (
                    row(Submission, submission.pk, "status")["status"] == "accepted"
                    and row(Report, report.pk, "status")["status"] == "done"
                ),
                timeout=120,
                what="the jobs queued while Redis was away did not run",
                worker=worker,
            )
        finally:
            worker.kill()


def _use_broker(celery_app, url: str) -> None:
    """Point the app's producers at ``url`` (they are pooled per broker once made)."""
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_cut_database_connections_fail_the_request_in_flight_cleanly_then_pages_and_jobs_carry_on(
    live_server, client, partner, lead, evaluation, tmp_path, monkeypatch
):
    import threading

    from reports import views

    client.force_login(lead)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    page = live_server.url + reverse("reports:evaluation", args=[partner.slug, evaluation.code])

    def get(url, timeout=15):
        request = urllib.request.Request(url, headers={"Cookie": cookie})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    assert get(page)[0] == 200

    # A request in flight when the connections are cut: it gets the error page, at once.
    in_view, cut = threading.Event(), threading.Event()
    real = views.EvaluationOverviewView.get_context_data

    def paused(self, **kwargs):
        in_view.set()
        cut.wait(10)
        return real(self, **kwargs)

    monkeypatch.setattr(views.EvaluationOverviewView, "get_context_data", paused)
    answer = {}
    thread = threading.Thread(target=lambda: answer.update(result=get(page)))
    thread.start()
    assert in_view.wait(10), "the request did not reach the view"
    assert terminate_connections() >= 1
    cut.set()
    thread.join(20)
    assert not thread.is_alive(), "the request in flight hung"
    status, body = answer["result"]
    assert status == 500 and "Sorry, there is a problem with the service" in body
    monkeypatch.setattr(views.EvaluationOverviewView, "get_context_data", real)

    # The next requests reconnect (CONN_HEALTH_CHECKS): no restart.
    assert [get(page)[0] for _ in range(3)] == [200, 200, 200]

    # A worker's import loses its connection half-way: it is retried and ends once.
    close_old_connections()
    connection.close()
    with queue_of_its_own() as queue:
        worker = Worker(queue, tmp_path / "worker.log", slow=SLOW / 2)
        try:
            submission = queue_upload(partner, lead, evaluation, child_file(CHILDREN))
            wait_for(lambda: started(Submission, submission.pk), timeout=60, what="the import did not start", worker=worker)
            terminate_connections()
            connection.close()
            wait_for(
                lambda: row(Submission, submission.pk, "status")["status"] == "accepted",
                timeout=90,
                what="the import was not retried to the end",
                worker=worker,
            )
            assert re.search(r"[Rr]etry", worker.log()), worker.log()
        finally:
            worker.kill()
    assert stored_of(submission) == (3 * CHILDREN, len(expected_aggregates(CHILDREN)))
    assert accepted_records(submission) == 1


@pytest.mark.django_db
def test_a_full_disk_while_writing_a_report_fails_it_with_the_reason_and_keeps_nothing(
    client, partner, lead, evaluation, monkeypatch, tmp_path
):
    import kaleido

    outcome_services.submission_upload(
        partner=partner, actor=lead, evaluation=evaluation, filename="d.csv", content=GOOD.encode()
    )
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    written = []

    def disk_full(specs, **kwargs):
        path = specs[0]["path"]
        path.write_bytes(b"<svg")  # half a chart, then the disk is full
        written.append(path)
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(kaleido, "write_fig_from_object_sync", disk_full)
    monkeypatch.setattr("reports.documents.chart_browser", lambda: "/usr/bin/chromium")
    monkeypatch.setattr("reports.documents._renderer_started", True)
    monkeypatch.setattr("reports.documents.start_chart_renderer", lambda: True)

    report = factories.ReportFactory(evaluation=evaluation)
    assert report_services.report_build(report_id=report.pk) == "failed"
    report.refresh_from_db()
    assert written and not list(tmp_path.iterdir())  # the half-written chart went with its folder
    assert (report.status, report.html, report.pdf) == ("failed", None, None)
    assert "no space was left on the server's disk" in report.error

    client.force_login(lead)
    page = client.get(reverse("reports:report", args=[partner.slug, report.code])).content.decode()
    assert "The report could not be built" in page and "no space was left on the server&#x27;s disk" in page
    assert "Your report is ready" not in page


# --- Redis away, or stuck: pages still answer, at once --------------------------------------------


def _redis_at(settings, url: str):
    """The cache and the broker at ``url``, tasks sent through the broker (not run eagerly)."""
    from pine.celery import app as celery_app

    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": url}}
    _use_broker(celery_app, url)
    celery_app.conf.task_always_eager = False
    try:
        yield
    finally:
        _use_broker(celery_app, saved[0])
        celery_app.conf.task_always_eager = saved[1]


@pytest.fixture
def redis_away(settings):
    """Nothing listens where Redis should be: every connection is refused."""
    yield from _redis_at(settings, UNUSED_REDIS)


@pytest.fixture
def redis_stuck(settings):
    """Redis takes connections and never answers (a hung server, a half-open connection)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)  # never accepted: the kernel completes the handshake, nothing replies
        yield from _redis_at(settings, f"redis://127.0.0.1:{silent.getsockname()[1]}/0")


def answered_within(seconds: float, request):
    """``request()``'s answer, failing (not hanging) if it takes longer than ``seconds``."""
    answer = {}

    def call():
        try:
            answer["response"] = request()
        except BaseException as error:  # noqa: BLE001 - handed to the test below
            answer["error"] = error
        finally:
            connection.close()  # this thread's own

    thread = threading.Thread(target=call, daemon=True)
    started_at = time.monotonic()
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"no answer within {seconds} s"
    if "error" in answer:
        raise answer["error"]
    return answer["response"], time.monotonic() - started_at


AGENCY = {
    "name": "Eastmere Safeguarding Partnership",
    "lead_agency_type": "local_authority",
    "la_code": "884",
    "region": "west_midlands",
    "other_agencies": "",
    "full_name": "Morgan Reid",
    "email": "morgan@eastmere.example",
    "password": "a-long-password-1",
}
COLLEAGUE = {"email": "new@northshire.example", "role": "contributor"}
PERSON = {"name": "Sam Patel", "email": "sam.patel@council.example", "organisation": "Northshire County Council"}


@pytest.mark.django_db
def test_with_redis_away_registering_an_agency_is_refused_with_a_clear_message(client, redis_away):
    response = client.post(reverse("register"), AGENCY)
    assert response.status_code == 200
    assert ratelimit.UNAVAILABLE in response.content.decode()
    assert not Partner.objects.filter(name=AGENCY["name"]).exists()


@pytest.mark.django_db
def test_with_redis_away_an_event_registration_is_refused_with_a_clear_message(client, redis_away):
    event = factories.EventFactory()
    page = reverse("cohorts:public_event", args=[event.cohort.slug, event.code])
    assert client.get(page).status_code == 200
    response = client.post(page, PERSON)
    assert response.status_code == 200
    assert ratelimit.UNAVAILABLE in response.content.decode()
    with transaction.atomic(), practice_scope():
        assert not EventRegistration.objects.exists()


@pytest.mark.django_db(transaction=True)  # the email is sent when the request's transaction commits
def test_with_redis_away_a_page_that_sends_an_email_still_serves_and_logs_it_unsent(client, partner, lead, redis_away, caplog):
    client.force_login(lead)
    response = client.post(
        reverse("partner_members", args=[partner.slug]), {"email": "new@northshire.example", "role": "contributor"}
    )
    assert response.status_code == 302
    with transaction.atomic(), practice_scope():
        assert Invitation.objects.filter(email="new@northshire.example").exists()
    assert "was not sent" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_stuck_redis_holds_no_request_past_its_timeouts(client, partner, lead, settings, redis_stuck):
    # Each call to Redis gives up after REDIS_TIMEOUT (1 s); redis-py alone waits 5 s, Celery's
    # producer for ever.
    response, seconds = answered_within(10, lambda: client.post(reverse("register"), AGENCY))
    assert response.status_code == 200 and ratelimit.UNAVAILABLE in response.content.decode()
    assert seconds < 3 * settings.REDIS_TIMEOUT + 1

    client.force_login(lead)
    invite = reverse("partner_members", args=[partner.slug])
    response, seconds = answered_within(
        20, lambda: client.post(invite, {"email": "new@northshire.example", "role": "contributor"})
    )
    assert response.status_code == 302
    assert seconds < 6 * settings.REDIS_TIMEOUT + 2


def test_the_test_settings_keep_the_brokers_socket_timeouts():
    # Under xdist the test settings add a key prefix to the broker's options; dropping the timeouts
    # with it once let a stuck Redis hold a request for ever, in the full run only.
    from django.conf import settings

    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert options["socket_timeout"] == options["socket_connect_timeout"] == settings.REDIS_TIMEOUT
