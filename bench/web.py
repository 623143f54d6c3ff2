"""What the tenancy walls cost a partner's API: throughput and latency with them and without.

In a database of its own, makes 100 partners' worth of data (each: one or two evaluations, a lead with
a read-only API token, 20-50 submissions of realistic size: accepted ones with their changes, some
rejected with problems, some waiting with warnings, some superseded by a later upload), serves the
app with gunicorn as deployed (gunicorn.conf.py; persistent database connections) on loopback, and puts it under
load from 16 concurrent clients: each client is one partner's lead after another, with that lead's
token, asking for the partner's evaluation list and each of its evaluations' submission lists. Each
path is warmed up, then timed for a fixed time cut into slices that alternate the two paths (so load
from elsewhere on the machine falls on both). Prints requests per second, p50 and p99 latency and
errors (any answer but 200, which fails the run) for:

tenant: ``GET /api/v1/partners/<slug>/evaluations/`` and ``.../evaluations/<code>/submissions/``,
    the product's views: the token, then the membership resolved through ``pine.access`` (in the
    user's scope), the partner's scope set for the request's transaction (``pine.tenancy``), the
    partner filter of ``PartnerAPIView``, row-level security's policy on every row, the evaluation
    looked up in the partner's scope (a 404 for another partner's), and the scope left again.
bare: ``GET /bench/bare/partners/<slug>/evaluations/`` and ``.../evaluations/<code>/submissions/``,
    mounted only by this benchmark (this module is also the server's URLconf, in front of the
    product's). Plain DRF ``GenericAPIView``s with the same token authentication (the same
    authentication cost: one query, as in the product), the same pagination and page size, the same
    output serializers and the same querysets (``select_related``, ``defer``) less the partner filter:
    evaluations are picked by the URL's slug in the same query and submissions by the evaluation's
    code, with no membership check, no partner scope and no evaluation lookup of their own. The
    runtime role is subject to row-level security (FORCE) and sees no row without a scope, so the
    bare views set one flag, ``pine.practice``, in one statement: the policy is still on the table
    but true for every row before it looks at the row's partner.

Both are served by the same gunicorn, against the same database, in the same run. Before timing, the
two paths' answers are compared for every partner: the same rows, field for field. Also prints the
queries each path makes per request (counted in this process with Django's test client).

And where the time goes: the CPU each request cost gunicorn's processes, the PostgreSQL backends
serving them and this client (read from /proc during the timed slices), and how busy the machine's
cores were meanwhile (others' work included). Clients here never pause, so the server is a closed
queue: N clients wait N / throughput on average (Little's law) however fast one request is, and
throughput is at most cores / (CPU per request). On 2 shared cores a p99 under 100 ms for 16
clients needs a few milliseconds of CPU per request in all; ``--clients 2`` shows the latency of
a request that does not queue.

    .venv/bin/python bench/web.py [--seconds 15] [--warmup 3] [--clients 16] [--workers N] [--rounds 5] [--profile]
"""

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_pine_web")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework import generics, permissions  # noqa: E402

import pine.urls  # noqa: E402
from evaluations.api import EvaluationOut  # noqa: E402
from evaluations.models import Evaluation  # noqa: E402
from outcomes.api import SubmissionOut, submission_out_columns  # noqa: E402
from outcomes.models import Submission  # noqa: E402
from pine.authentication import TokenAuthentication  # noqa: E402
from pine.pagination import Pagination  # noqa: E402

PARTNERS = 100
BARE = "bench/bare/partners/"
TENANT = "api/v1/partners/"


# --- the bare views (no tenancy) ------------------------------------------------------------------


class BareListView(generics.GenericAPIView):
    """A plain DRF list: token authentication as the product's, no membership, no partner scope."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = Pagination

    def list(self, queryset, serializer_class):
        # The runtime role sees no row without a scope (FORCE ROW LEVEL SECURITY): one flag makes
        # the policy true for every row. Transaction-local: the request's transaction ends it.
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('pine.practice', 'on', true)")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)


class BareEvaluationListView(BareListView):
    def get(self, request, partner_slug):
        # As evaluations.selectors.evaluation_list, picked by the slug instead of a resolved partner.
        return self.list(Evaluation.objects.select_related("cohort").filter(partner__slug=partner_slug), EvaluationOut)


class BareSubmissionListView(BareListView):
    def get(self, request, partner_slug, code):
        # As SubmissionListView's queryset (outcomes.selectors.submission_list), less the partner.
        queryset = Submission.objects.select_related("uploaded_by", "superseded_by").select_related("evaluation")
        return self.list(submission_out_columns(queryset.filter(evaluation__code=code)), SubmissionOut)


urlpatterns = [
    path(BARE + "<slug:partner_slug>/evaluations/", BareEvaluationListView.as_view()),
    path(BARE + "<slug:partner_slug>/evaluations/<uuid:code>/submissions/", BareSubmissionListView.as_view()),
    *pine.urls.urlpatterns,
]


def serve():
    """The WSGI application gunicorn runs (``bench.web:serve()``): the product, with this URLconf."""
    from django.core.wsgi import get_wsgi_application

    settings.ROOT_URLCONF = "bench.web"
    return get_wsgi_application()


# --- data -----------------------------------------------------------------------------------------

MEASURES = ["entries_to_care", "re_referrals_12m", "days_referral_to_assessment", "repeat_cp_plans"]
GROUPS = ["intervention", "comparison"]


def month_start(months_ago: int) -> date:
    today = date.today().replace(day=1)
    year, month = divmod(today.year * 12 + today.month - 1 - months_ago, 12)
    return date(year, month + 1, 1)


def changes(rng: random.Random, months_ago: int) -> list[dict]:
    """What storing an upload of one month changed: each measure x group."""
    start = month_start(months_ago)
    end = month_start(months_ago - 1) - timedelta(days=1)
    out = []
    for measure in MEASURES:
        for group in GROUPS:
            denominator = rng.randint(40, 400)
            numerator = rng.randint(0, denominator)
            new = {"value": f"{100 * numerator / denominator:.1f}", "numerator": str(numerator), "denominator": str(denominator)}
            out.append(
                {
                    "kind": "new" if rng.random() < 0.8 else "changed",
                    "measure": measure,
                    "group": group,
                    "period_start": start.isoformat(),
                    "period_end": end.isoformat(),
                    "old": None,
                    "new": new,
                }
            )
    return out


def problems(rng: random.Random) -> list[dict]:
    return [
        {"row": rng.randint(2, 80), "column": "value", "value": "n/a", "reason": "Give a number, or leave it empty."}
        for _ in range(rng.randint(1, 6))
    ]


def warnings(rng: random.Random, months_ago: int) -> list[dict]:
    start, previous = month_start(months_ago), month_start(months_ago + 1)
    return [
        {
            "kind": "unusual_change",
            "row": rng.randint(2, 20),
            "measure": rng.choice(MEASURES),
            "group": rng.choice(GROUPS),
            "period_start": start.isoformat(),
            "value": "48.0",
            "previous_period_start": previous.isoformat(),
            "previous_value": "12.0",
            "reason": "4.0 times the previous period's value: explain it, or correct the file.",
        }
        for _ in range(rng.randint(1, 3))
    ]


def make_data(rng: random.Random) -> list[dict]:
    """100 partners' rows; returns each lead's token and the paths of their partner's evaluations."""
    from pine import services
    from pine.models import Role
    from pine.tenancy import practice_scope
    from tests import factories

    clients = []
    with transaction.atomic(), practice_scope():
        for n in range(PARTNERS):
            partner = factories.PartnerFactory()
            lead = factories.MembershipFactory(partner=partner, role=Role.LEAD).user
            _, key = services.api_token_create(user=lead, name="bench", scope="read")
            evaluations = [factories.EvaluationFactory(application__partner=partner) for _ in range(1 + (n % 3 == 0))]
            rows = []
            for _ in range(rng.randint(20, 50)):
                evaluation = rng.choice(evaluations)
                months_ago = rng.randint(1, 24)
                status = rng.choices(
                    [Submission.Status.ACCEPTED, Submission.Status.REJECTED, Submission.Status.NEEDS_EXPLANATION, "old"],
                    weights=[70, 15, 5, 10],
                )[0]
                created = timezone.now() - timedelta(days=30 * months_ago, minutes=rng.randint(0, 10_000))
                submission = Submission(
                    partner=partner,
                    evaluation=evaluation,
                    filename=f"outcomes-{month_start(months_ago):%Y-%m}.csv",
                    status=status,
                    progress=100,
                    stage="Done",
                    row_count=16,
                    uploaded_by=lead,
                    created_at=created,
                    started_at=created,
                    finished_at=created + timedelta(seconds=3),
                )
                if status == Submission.Status.REJECTED:
                    submission.errors = problems(rng)
                elif status == Submission.Status.NEEDS_EXPLANATION:
                    submission.warnings = warnings(rng, months_ago)
                    submission.changes = changes(rng, months_ago)
                else:
                    submission.changes = changes(rng, months_ago)
                rows.append(submission)
            Submission.objects.bulk_create(rows)
            # A tenth were waiting when a later upload of their periods was stored: superseded by it.
            for old in [row for row in rows if row.status == "old"]:
                later = next((r for r in rows if r.evaluation == old.evaluation and r.status == "accepted"), None)
                old.status, old.superseded_by, old.changes = Submission.Status.SUPERSEDED, later, []
            Submission.objects.bulk_update(rows, ["status", "superseded_by", "changes"])
            clients.append(
                {"slug": partner.slug, "token": key, "evaluations": [str(evaluation.code) for evaluation in evaluations]}
            )
    return clients


def paths(client: dict, prefix: str) -> list[str]:
    """The requests one partner's lead makes: the evaluation list, then each evaluation's submissions."""
    base = f"/{prefix}{client['slug']}/evaluations/"
    return [base, *(f"{base}{code}/submissions/" for code in client["evaluations"])]


# --- load -----------------------------------------------------------------------------------------


def get(port: int, url: str, token: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", url, headers={"Authorization": f"Token {token}", "Host": "127.0.0.1"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def load(port: int, clients: list[dict], prefix: str, *, concurrency: int, seconds: float) -> dict:
    """``concurrency`` threads, each one partner's lead after another, for ``seconds``."""
    stop = time.perf_counter() + seconds
    results: list[list] = [[] for _ in range(concurrency)]
    errors: list[str] = []

    def worker(number: int) -> None:
        mine = clients[number::concurrency]
        at = 0
        while time.perf_counter() < stop:
            client = mine[at % len(mine)]
            at += 1
            for url in paths(client, prefix):
                if time.perf_counter() >= stop:
                    break
                start = time.perf_counter()
                try:
                    status, body = get(port, url, client["token"])
                except OSError as error:
                    status, body = 0, str(error).encode()
                results[number].append(
                    ("evaluations" if url.endswith("/evaluations/") else "submissions", time.perf_counter() - start)
                )
                if status != 200:
                    errors.append(f"{status} {url}: {body[:200]!r}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    samples = [sample for result in results for sample in result]
    return {"elapsed": elapsed, "samples": samples, "errors": errors}


def merged(runs: list[dict]) -> dict:
    return {
        "elapsed": sum(run["elapsed"] for run in runs),
        "samples": [sample for run in runs for sample in run["samples"]],
        "errors": [error for run in runs for error in run["errors"]],
        "cpu": {group: sum(run["cpu"][group] for run in runs) for group in runs[0]["cpu"]},
    }


# --- where the CPU goes (Linux /proc; zeros elsewhere) ----------------------------------------------


def process_cpu(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system) each of these processes has used so far."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone
        used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime: proc(5)
    return used


def machine_cpu() -> float:
    """CPU seconds every core of the machine has been busy so far (everyone's, not only ours)."""
    try:
        ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle, iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def server_pids(server: subprocess.Popen) -> list[int]:
    """gunicorn's master and its workers."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    return [server.pid, *(int(pid) for pid in children.read_text().split())] if children.exists() else [server.pid]


def database_pids(name: str) -> list[int]:
    """The PostgreSQL backends serving the benchmark's database (gunicorn's connections, which are
    persistent but renewed after CONN_MAX_AGE: asked afresh each time)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name])
        pids = [pid for (pid,) in cursor.fetchall()]
    connection.close()
    return pids


def cpu_now(server: subprocess.Popen, database: str) -> dict[str, dict[int, float]]:
    return {
        "server": process_cpu(server_pids(server)),
        "database": process_cpu(database_pids(database)),
        "client": process_cpu([os.getpid()]),
        "machine": {0: machine_cpu()},
    }


def timed_load(port: int, clients: list[dict], prefix: str, server: subprocess.Popen, database: str, **kwargs) -> dict:
    """:func:`load`, with the CPU each group of processes used meanwhile (and the whole machine). A
    process that started meanwhile counts from zero; one that ended loses its last moments."""
    before = cpu_now(server, database)
    run = load(port, clients, prefix, **kwargs)
    after = cpu_now(server, database)
    run["cpu"] = {
        group: sum(seconds - before[group].get(pid, 0.0) for pid, seconds in used.items()) for group, used in after.items()
    }
    return run


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def summary(name: str, run: dict, concurrency: int) -> dict:
    latencies = [seconds for _, seconds in run["samples"]]
    figures = {
        "rps": len(latencies) / run["elapsed"],
        "p50": percentile(latencies, 50) * 1000,
        "p99": percentile(latencies, 99) * 1000,
        "errors": len(run["errors"]),
    }
    kinds = []
    for kind in ("evaluations", "submissions"):
        mine = [seconds for k, seconds in run["samples"] if k == kind]
        kinds.append(f"{kind} p50 {percentile(mine, 50) * 1000:.1f} / p99 {percentile(mine, 99) * 1000:.1f} ms")
    print(
        f"{name}: {len(latencies):6,} requests in {run['elapsed']:.1f} s = {figures['rps']:6.1f} req/s, "
        f"p50 {figures['p50']:6.1f} ms, p99 {figures['p99']:6.1f} ms, errors {figures['errors']}  "
        f"({'; '.join(kinds)})"
    )
    for error in run["errors"][:5]:
        print(f"    {error}")
    # Service time: CPU per request in each process group. With every core busy, throughput is at
    # most cores / (CPU per request), and a closed loop of N clients waits N / throughput on average
    # (Little's law): the queue, not the work, is most of the latency.
    cpu = {group: seconds / len(latencies) * 1000 for group, seconds in run["cpu"].items()}
    ours = cpu["server"] + cpu["database"] + cpu["client"]
    figures.update(cpu_ms=ours, server_ms=cpu["server"])
    print(
        f"        CPU per request: server {cpu['server']:.1f} ms + database {cpu['database']:.1f} ms + "
        f"client {cpu['client']:.1f} ms = {ours:.1f} ms (the machine's cores were busy {cpu['machine']:.1f} ms per "
        f"request: {max(cpu['machine'] - ours, 0):.1f} ms of it others'); "
        f"at most {os.cpu_count() / ours * 1000:.0f} req/s on {os.cpu_count()} idle cores; "
        f"Little's law: {concurrency} clients / {figures['rps']:.0f} req/s = "
        f"{concurrency / figures['rps'] * 1000:.0f} ms mean latency (measured {statistics.fmean(latencies) * 1000:.0f} ms)"
    )
    return figures


def same_answers(port: int, clients: list[dict]) -> None:
    """Both paths give every partner the same rows, field for field (and nothing else)."""
    for client in clients:
        for tenant, bare in zip(paths(client, TENANT), paths(client, BARE), strict=True):
            answers = []
            for url in (tenant, bare):
                status, body = get(port, url, client["token"])
                if status != 200:
                    raise SystemExit(f"{url} answered {status}: {body[:300]!r}")
                data = json.loads(body)
                answers.append((data["count"], data["results"]))
            if answers[0] != answers[1]:
                raise SystemExit(f"{tenant} and {bare} answer differently")
            if not answers[0][1]:
                raise SystemExit(f"{tenant} answered no rows")


def queries_per_request(clients: list[dict], *, show: bool) -> None:
    """Each path's queries for one request, counted in this process (Django's test client)."""
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = clients[0]
    counts = []
    with override_settings(ROOT_URLCONF="bench.web"):
        for name, prefix in (("tenant", TENANT), ("bare", BARE)):
            for url in paths(client, prefix)[:2]:
                Client().get(url, HTTP_AUTHORIZATION=f"Token {client['token']}")  # warm
                with CaptureQueriesContext(connection) as queries:
                    start = time.perf_counter()
                    response = Client().get(url, HTTP_AUTHORIZATION=f"Token {client['token']}")
                    seconds = time.perf_counter() - start
                assert response.status_code == 200, (url, response.status_code, response.content[:300])
                kind = "evaluations" if url.endswith("/evaluations/") else "submissions"
                rows = len(response.json()["results"])
                counts.append(f"{name} {kind} {len(queries)} ({rows} rows, {seconds * 1000:.1f} ms)")
                if show:
                    print(f"  {name} {kind}: {len(queries)} queries, {seconds * 1000:.1f} ms in process")
                    for query in queries.captured_queries:
                        print(f"    {float(query['time']) * 1000:5.2f} ms  {query['sql'][:150]}")
    print("queries per request: " + "; ".join(counts))
    if show:  # where a tenant request's time goes, in this process: 100 of the submission list
        import cProfile
        import pstats

        url = paths(client, TENANT)[1]
        with override_settings(ROOT_URLCONF="bench.web"):
            session = Client()  # one client, as one server process: its middleware made once
            session.get(url, HTTP_AUTHORIZATION=f"Token {client['token']}")
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(100):
                session.get(url, HTTP_AUTHORIZATION=f"Token {client['token']}")
            profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(database: str, workers: int, log) -> tuple[subprocess.Popen, int]:
    port = free_port()
    url = urlsplit(os.environ.get("DATABASE_URL", "postgres://pine@127.0.0.1:5432/pine"))
    env = {
        **os.environ,
        "DATABASE_URL": urlunsplit(url._replace(path=f"/{database}")),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    # The deployed settings (gunicorn.conf.py: workers, worker class, access log), on loopback.
    command = [sys.executable, "-m", "gunicorn", "bench.web:serve()", "--config", str(ROOT / "gunicorn.conf.py")]
    command += ["--chdir", str(ROOT), "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "60"]
    if workers:
        command += ["--workers", str(workers)]
    # A session of its own: the master and its workers are stopped together, whatever happens.
    server = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + 180  # a busy machine is slow to import Django in each worker
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            status, _ = get(port, "/healthz", "")
            if status == 200:
                return server, port
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    log.seek(0)
    raise SystemExit("gunicorn did not start:\n" + log.read().decode(errors="replace")[-3000:])


def stop_server(server: subprocess.Popen) -> None:
    """Stop gunicorn's master and its workers (a killed master would leave its workers serving)."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15, help="timed seconds per path")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per path, not counted")
    parser.add_argument("--rounds", type=int, default=5, help="slices the timed seconds are cut into, alternating the paths")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's, as deployed)")
    parser.add_argument("--profile", action="store_true", help="print each path's queries for one request")
    args = parser.parse_args()

    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    server = None
    try:
        started = time.perf_counter()
        clients = make_data(random.Random(14))
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('pine.practice', 'on', true)")
            evaluations, submissions = Evaluation.objects.count(), Submission.objects.count()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(
            f"data: {len(clients)} partners, {evaluations} evaluations, {submissions:,} submissions "
            f"(made in {time.perf_counter() - started:.0f} s)"
        )
        queries_per_request(clients, show=args.profile)
        connection.close()

        log = tempfile.TemporaryFile()
        server, port = start_server(name, args.workers, log)
        same_answers(port, clients)
        print(
            f"gunicorn: {args.workers or 'gunicorn.conf.py'} workers; {args.clients} clients; {args.warmup:g} s warm-up + "
            f"{args.seconds:g} s per path in {args.rounds} alternating slices; "
            f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)"
        )
        for prefix in (BARE, TENANT):
            load(port, clients, prefix, concurrency=args.clients, seconds=args.warmup)
        # Alternating slices (bare first, then tenant first, ...): other load on the machine falls on both.
        runs = {BARE: [], TENANT: []}
        slice_seconds = args.seconds / args.rounds
        for round_ in range(args.rounds):
            for prefix in (BARE, TENANT) if round_ % 2 == 0 else (TENANT, BARE):
                run = timed_load(port, clients, prefix, server, name, concurrency=args.clients, seconds=slice_seconds)
                runs[prefix].append(run)
        figures = {
            label.strip(): summary(label, merged(runs[prefix]), args.clients)
            for label, prefix in (("bare  ", BARE), ("tenant", TENANT))
        }
        tenant, bare = figures["tenant"], figures["bare"]
        ratio = tenant["rps"] / bare["rps"]
        print(
            f"ratio: tenant / bare throughput {ratio:.2f}x (goal >= 0.8x: {'met' if ratio >= 0.8 else 'NOT met'}); "
            f"tenant p99 {tenant['p99']:.1f} ms (goal < 100 ms: {'met' if tenant['p99'] < 100 else 'NOT met'}); "
            f"load average after: {os.getloadavg()[0]:.2f}"
        )
        # Others' load on a shared machine moves the throughput ratio from slice to slice; the CPU
        # each request costs moves much less, and its ratio is the throughput ratio on idle cores.
        print(
            f"CPU per request: bare {bare['cpu_ms']:.1f} ms, tenant {tenant['cpu_ms']:.1f} ms: "
            f"bare / tenant {bare['cpu_ms'] / tenant['cpu_ms']:.2f}x "
            f"(server only: {bare['server_ms'] / tenant['server_ms']:.2f}x)"
        )
        if tenant["errors"] or bare["errors"]:
            raise SystemExit(f"FAILED: {tenant['errors']} errors on the tenant path, {bare['errors']} on the bare one")
    finally:
        if server is not None:
            stop_server(server)
        connection.close()
        connection.creation.destroy_test_db(name, verbosity=0)


if __name__ == "__main__":
    main()
