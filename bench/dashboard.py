"""What the dashboards cost: server time of each dashboard page, and of refreshing one evaluation's
figures.

In a database of its own, makes 100 partners, each with one evaluation in one cohort (the worst
case for the cohort dashboard), a signed-off plan (24 baseline and 36 follow-up months), 20 measures
(the 16 of the library and 4 local ones) x 60 monthly periods x 3 groups of current values (360,000
rows, loaded with COPY), the first 40 periods approved, uploads in several states (accepted, waiting
for an explanation, rejected, a dry run), milestones (some overdue), and 50 more applications in
several states. Then the worker's refresh computes every evaluation's figures.

Times, in this process through the whole Django stack (Django's test client: middleware, access,
tenant scope, selectors, templates; no network), after a warm-up of each page:
  programme dashboard  GET /practice/ as a practice admin (100 evaluations)
  cohort dashboard     GET /practice/cohorts/<slug>/dashboard/ (100 partners)
  work queues          GET /practice/queue/ as a practice admin (every list, 100 partners' items)
  partner hub          GET /p/<partner>/evaluations/<code>/ as the partner's lead
p50 and p95 of --requests requests each (goal: p95 <= 300 ms; the first request, which draws the
charts the later ones read from the cache, is shown apart), the queries each page makes, and
the refresh of one evaluation's figures (reads, SPC of 20 measures, safe cells; goal < 2 s).

    .venv/bin/python bench/dashboard.py [--partners 100] [--requests 30] [--profile] [--profile-page 'work queues']
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_pine_dashboard")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

MONTHS, BASELINE = 60, 24
GROUPS = ("intervention", "comparison", "all")


def month(first: date, n: int) -> date:
    y, m = divmod(first.month - 1 + n, 12)
    return date(first.year + y, m + 1, 1)


def make_data(partners: int) -> dict:
    """Every partner's rows, in the practice scope; returns what the timed requests need."""
    from cohorts.models import Application
    from evaluations.models import EvaluationPlan, Milestone, TheoryOfChange
    from measures.models import Measure
    from outcomes.models import PeriodApproval
    from pine.models import Role
    from pine.tenancy import practice_scope
    from tests import factories

    today = timezone.localdate()
    first = month(date(today.year, today.month, 1), -MONTHS)  # 60 whole months up to last month
    out = {"evaluations": []}
    with transaction.atomic(), practice_scope():
        cohort = factories.CohortFactory(name="Bench cohort", slug="bench-cohort")
        library = list(Measure.objects.filter(partner=None).order_by("code"))
        admin = factories.PracticeUserFactory(email="bench-admin@pine.example")
        for n in range(partners):
            partner = factories.PartnerFactory(name=f"Council {n:03d}", slug=f"council-{n:03d}")
            lead = factories.MembershipFactory(partner=partner, role=Role.LEAD).user
            evaluation = factories.EvaluationFactory(application__partner=partner, application__cohort=cohort)
            local = [
                factories.MeasureFactory(code=f"local-{n}-{k}", partner=partner, evaluation=evaluation, unit="count")
                for k in range(20 - len(library))
            ]
            measures = library + local
            onboarding = evaluation.onboarding
            onboarding.dpia_completed_on, onboarding.ethics_required = first, False
            onboarding.data_lead_name, onboarding.data_lead_email, onboarding.sponsor_name = "Dana", "d@example.org", "Sam"
            onboarding.save()
            TheoryOfChange.objects.create(partner=partner, evaluation=evaluation, version=1, content={}, created_by=lead)
            EvaluationPlan.objects.create(
                partner=partner,
                evaluation=evaluation,
                version=1,
                status=EvaluationPlan.Status.SIGNED_OFF,
                research_questions="Does it work?",
                design=EvaluationPlan.Design.DID,
                comparison_group="Neighbouring teams",
                intervention_start=month(first, BASELINE),
                baseline_start=first,
                baseline_end=month(first, BASELINE) - timedelta(days=1),
                follow_up_start=month(first, BASELINE),
                follow_up_end=month(first, MONTHS) - timedelta(days=1),
                measures=[{"code": m.code, "direction": "decrease"} for m in measures],
                created_by=lead,
                signed_off_by=admin,
                signed_off_at=timezone.now(),
            )
            accepted = factories.SubmissionFactory(evaluation=evaluation, uploaded_by=lead, row_count=MONTHS * 60)
            for status in ("needs_explanation", "rejected", "checked"):
                factories.SubmissionFactory(evaluation=evaluation, uploaded_by=lead, status=status, dry_run=status == "checked")
            copy_values(partner.pk, evaluation.pk, accepted.pk, measures, first, seed=n)
            PeriodApproval.objects.bulk_create(
                [
                    PeriodApproval(partner=partner, evaluation=evaluation, period_start=month(first, k), approved_by=admin)
                    for k in range(40)
                ]
            )
            for kind, days in ((Milestone.Kind.INTERIM_DATA, -20 - n), (Milestone.Kind.FINAL_REPORT, 200)):
                Milestone.objects.create(partner=partner, evaluation=evaluation, kind=kind, due_on=today + timedelta(days=days))
            out["evaluations"].append((partner, lead, evaluation))
        for n in range(50):  # more applications, in several states, for the queues
            status = [Application.Status.DRAFT, Application.Status.SUBMITTED, Application.Status.DECLINED][n % 3]
            factories.ApplicationFactory(cohort=cohort, status=status)
    out.update(cohort=cohort, admin=admin)
    return out


def copy_values(partner_id, evaluation_id, submission_id, measures, first, *, seed):
    """60 months x 3 groups of each measure, with COPY (a bulk_create of 360,000 rows is slow)."""
    import random

    rng = random.Random(seed)
    columns = (
        'partner_id, evaluation_id, submission_id, measure_id, period_start, period_end, "group", value, numerator, '
        "denominator, is_current"
    )
    cursor = connection.cursor().cursor  # the psycopg cursor inside Django's wrapper
    # COPY cannot write into a table behind row-level security: into a temporary table, then INSERT.
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS bench_values AS SELECT {columns} FROM outcomes_outcomevalue WITH NO DATA")
    cursor.execute("TRUNCATE bench_values")
    with cursor.copy(f"COPY bench_values ({columns}) FROM STDIN") as copy:
        for m in measures:
            for k in range(MONTHS):
                start, end = month(first, k), month(first, k + 1) - timedelta(days=1)
                parts = {}
                for group in ("intervention", "comparison"):
                    denominator = rng.randint(150, 400) if m.unit != "rate_10k" else rng.randint(20_000, 60_000)
                    numerator = rng.randint(20, 60) if m.unit != "rate_10k" else rng.randint(40, 200)
                    parts[group] = (numerator, denominator)
                parts["all"] = tuple(a + b for a, b in zip(parts["intervention"], parts["comparison"]))
                for group in GROUPS:
                    numerator, denominator = parts[group]
                    if m.unit == "percentage":
                        value, num, den = round(100 * numerator / denominator, 4), numerator, denominator
                    elif m.unit == "rate_10k":
                        value, num, den = round(10_000 * numerator / denominator, 4), numerator, denominator
                    elif m.unit == "days":
                        value, num, den = rng.randint(10, 40), None, denominator
                    else:
                        value, num, den = numerator, None, None
                    copy.write_row((partner_id, evaluation_id, submission_id, m.pk, start, end, group, value, num, den, True))
    cursor.execute(f"INSERT INTO outcomes_outcomevalue ({columns}) SELECT {columns} FROM bench_values")


def timed(client: Client, url: str, requests: int) -> tuple[list[float], int, float]:
    started = time.perf_counter()
    assert client.get(url).status_code == 200, url  # the first: charts drawn, nothing cached yet
    first = (time.perf_counter() - started) * 1000
    for _ in range(2):  # warm-up: imports, templates, the database's buffers
        assert client.get(url).status_code == 200, url
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
        client.get(url)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return times, len(queries), first


def verified_client(user) -> Client:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=100)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="profile one refresh of an evaluation's figures")
    parser.add_argument("--profile-page", help="profile one request of the page with this label (e.g. 'work queues')")
    args = parser.parse_args()

    from reports.dashboards import services
    from reports.dashboards.models import EvaluationFigures

    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        data = make_data(args.partners)
        made = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        started = time.perf_counter()
        for _, _, evaluation in data["evaluations"]:
            services.figures_refresh_now(evaluation=evaluation)
        refreshed = time.perf_counter() - started
        print(
            f"data: {args.partners} partners x 20 measures x {MONTHS} months x 3 groups = "
            f"{args.partners * 20 * MONTHS * 3:,} values (made in {made:.0f} s); every evaluation's figures "
            f"computed in {refreshed:.0f} s"
        )

        # One evaluation's refresh, as the worker does it after an upload.
        partner, lead, evaluation = data["evaluations"][0]
        figures_id = jobs_figures_id(EvaluationFigures, evaluation)
        refreshes = []
        for _ in range(5):
            started = time.perf_counter()
            services.figures_refresh(figures_id=figures_id)
            refreshes.append(time.perf_counter() - started)
        if args.profile:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.runcall(services.figures_refresh, figures_id=figures_id)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        print(
            f"refresh of one evaluation's figures (3,600 values): median {statistics.median(refreshes):.2f} s, "
            f"max {max(refreshes):.2f} s (goal < 2 s: {'met' if max(refreshes) < 2 else 'NOT met'})"
        )

        admin = verified_client(data["admin"])
        hub = Client()
        hub.force_login(lead)
        pages = [
            ("programme dashboard", admin, "/practice/"),
            ("cohort dashboard", admin, f"/practice/cohorts/{data['cohort'].slug}/dashboard/"),
            ("work queues", admin, "/practice/queue/"),
            ("partner hub", hub, f"/p/{partner.slug}/evaluations/{evaluation.code}/"),
        ]
        print(f"server time of {args.requests} requests each after a warm-up (load average {os.getloadavg()[0]:.2f}):")
        for label, client, url in pages:
            times, queries, first = timed(client, url, args.requests)
            if label == args.profile_page:
                import cProfile
                import pstats

                profile = cProfile.Profile()
                profile.runcall(client.get, url)
                pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
            p95 = statistics.quantiles(times, n=20)[-1]
            print(
                f"  {label:20s} p50 {statistics.median(times):6.1f} ms  p95 {p95:6.1f} ms  {queries:3d} queries  "
                f"(goal p95 <= 300 ms: {'met' if p95 <= 300 else 'NOT met'}); first request, cache empty: {first:.0f} ms"
            )
    finally:
        connection.close()
        connection.creation.destroy_test_db(name, verbosity=0)


def jobs_figures_id(model, evaluation) -> int:
    from pine.tenancy import practice_scope

    with transaction.atomic(), practice_scope():
        return model.objects.filter(evaluation=evaluation).values_list("pk", flat=True).get()


if __name__ == "__main__":
    main()
