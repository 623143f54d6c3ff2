"""How long a whole evaluation report takes with a warm worker, stage by stage, and how the analysis
step compares with a bare pandas groupby of the same frame.

In a database of its own it makes one evaluation of the size the evidence issue names: 60 monthly
periods x 20 measures (the 16 library measures and 4 local ones) x 3 groups (intervention,
comparison, all) = 3,600 aggregate values, plus 1,000,000 child-level rows (``ChildRecord``, with
event dates) for four of the measures, stored as an import stores them (COPY into a staging table,
then one INSERT ... SELECT). Those four measures' aggregate values are the ones their child rows add
up to (outcomes.children's rules: proportions, a count, a median of days), "all" being both groups'
children together; the other 16 measures are generated as aggregates, one a rare event whose small
numbers the safe-cell rules must hide. The plan is a signed-off difference-in-differences plan
(``--design`` picks another) over all 20 measures, one primary.

What the report does with the child rows: a report reads the evaluation's current aggregate values
(the snapshot of value ids); the child rows are what those aggregates were computed from at import.
Only a time-to-event plan (``--design time_to_event``, over the measures that take child rows)
reads them too: each child row carries a start date (on average 120 days before its event; a
proportion's child without the event, value 0, is censored at its period end), and the report
reads each planned measure's children in the follow-up window
(``outcomes.selectors.child_event_frames``) for its Kaplan-Meier curves. With the other designs they
make the evaluation (and its tables and indexes) the issue's size, but the report's frame is the
3,600 aggregates.

Then, as a warm worker would be: the modules imported, kaleido's chart renderer started and the
imports kept out of full garbage collections (``reports.tasks.warm_up``), and one report built.
Timed, ``--builds`` times each, alternating so that load from elsewhere falls on all:

full     ``report_request`` and, at its commit, the worker's task (Celery runs eagerly here, in
         this process: ``build_report`` -> ``report_build``): fix the inputs, read, analyse, write
         HTML, PDF and results JSON, store them. Also the build alone as the row records it
         (started_at to finished_at).
read     ``outcome_frame_at``: the snapshot's values as the analysis frame.
children a time-to-event plan's child rows (``reports.services._children``); nothing otherwise.
evidence ``evidence_build``: every measure's estimate and the safe cells (and, of it, ``safe_cells``
         alone), here without earlier versions' cells (the full build reads those too).
json     the results document and its canonical bytes.
documents ``build_report``: figures and their PNG pictures (drawn once, in a thread, by the browser;
         the Word document shares them in a build), HTML, the PDF laid out meanwhile with blank
         pictures in the charts' places, then written with the charts (split by its progress
         calls); and the charts drawn alone, for scale.
groupby  a bare pandas ``frame.groupby(["measure_code", "group"]).agg(...)`` of the same frame, and
         for scale the same kind of groupby of the 1,000,000 child rows (in memory).

Prints medians in seconds, the ratios, and the machine's load average. ``--profile`` prints the
top functions of the slowest stage (cProfile, cumulative time).

    .venv/bin/python bench/report.py [--builds 3] [--children 1000000] [--design did] [--profile]
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_pine_report")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

MONTHS = 60
FIRST_MONTH = date(2021, 4, 1)
INTERVENTION_START = date(2023, 4, 1)  # 24 baseline months, 36 follow-up months
DETAIL_GROUPS = ("intervention", "comparison")
# The measures with child-level rows, with how a child's value is drawn: (kind, parameter).
CHILD_MEASURES = {
    "re_referrals_12m": ("bernoulli", 0.22),
    "assessments_45_days": ("bernoulli", 0.80),
    "days_referral_to_assessment": ("days", 28.0),
    "entries_to_care": ("event", None),
}
LOCAL_MEASURES = 4  # 16 library measures + 4 local ones = 20
START_MEAN_DAYS = 120.0  # a child row's start date: this many days before its event, on average
START_SEED = 11


def month(index: int) -> tuple[date, date]:
    first = (pd.Timestamp(FIRST_MONTH) + pd.DateOffset(months=index)).date()
    last = (pd.Timestamp(first) + pd.offsets.MonthEnd(0)).date()
    return first, last


# --- The evaluation ------------------------------------------------------------------------------


FIRST_LIBRARY = [
    "re_referrals_12m", "referrals_nfa", "assessments_45_days", "icpc_15_days", "cp_plans_rate", "repeat_cp_plans",
    "cp_plans_2_years", "cla_rate", "entries_to_care", "re_entries_12m", "placements_3_plus", "long_term_stability",
    "missing_from_care", "care_leavers_eet", "care_leavers_accommodation", "days_referral_to_assessment",
]  # fmt: skip


def make_evaluation(children: int, design: str, rng: np.random.Generator):
    """The evaluation, its 20 measures' aggregates, its child rows and a signed-off plan. Returns
    (partner, lead, evaluation, the child rows as a DataFrame)."""
    from evaluations import services as evaluation_services
    from measures.models import Measure
    from outcomes.models import OutcomeValue
    from pine.tenancy import partner_scope, practice_scope
    from tests import factories

    with transaction.atomic(), practice_scope():
        evaluation = factories.EvaluationFactory()
        partner = evaluation.partner
        lead = factories.MembershipFactory(partner=partner, role="lead").user
        admin = factories.PracticeUserFactory(practice_role="practice_admin")
        # The 16 measures the library held when this benchmark was first run, so its figures compare.
        library = list(Measure.objects.filter(partner__isnull=True, code__in=FIRST_LIBRARY).order_by("code"))
        local = [
            factories.MeasureFactory(
                code=f"bench_local_{n}",
                name=f"Local measure {n}",
                partner=partner,
                evaluation=evaluation,
                unit="percentage",
                child_aggregation="proportion",
            )
            for n in range(1, LOCAL_MEASURES + 1)
        ]
        measures = library + local
        assert len(measures) == 20, f"expected 20 measures, have {len(measures)}"
        submission = factories.SubmissionFactory(evaluation=evaluation, uploaded_by=lead, row_count=children)

    child_frame = child_rows(children, rng)
    values = aggregate_values(measures, child_frame, rng)
    with transaction.atomic(), partner_scope(partner.pk):
        OutcomeValue.objects.bulk_create(
            OutcomeValue(partner=partner, evaluation=evaluation, submission=submission, **row) for row in values
        )
        store_children(child_frame, submission, {m.code: m.pk for m in measures})
        primary = "re_referrals_12m"
        plan = evaluation_services.plan_save_draft(
            partner=partner,
            actor=lead,
            evaluation=evaluation,
            research_questions="Does the practice reduce re-referrals?",
            design=design,
            intervention_start=INTERVENTION_START,
            baseline_start=FIRST_MONTH,
            baseline_end=month(23)[1],
            follow_up_start=INTERVENTION_START,
            follow_up_end=month(MONTHS - 1)[1],
            comparison_group="Two localities where the practice has not started.",
            comparison_how_chosen="The closest in size and referral rate.",
            intervention_rows="intervention",
            comparison_rows="comparison",
            measures=[
                {"code": m.code, "direction": "decrease" if m.polarity == "lower" else "increase", "role": "secondary"}
                if m.code != primary
                else {"code": m.code, "direction": "decrease", "role": "primary"}
                for m in measures
                # a time-to-event plan takes only measures with child-level rows (not rates per 10,000)
                if design != "time_to_event" or m.child_aggregation != "aggregates_only"
            ],
        )
    with transaction.atomic(), practice_scope():
        evaluation_services.plan_sign_off(actor=admin, plan=plan)
    # The planner's statistics, as autovacuum gathers them within a minute of a large import (and as
    # bench/web.py and bench/dashboard.py do): without them it reads the freshly loaded child rows
    # through the index, row by row, and sorts their aggregates on disk.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return partner, lead, evaluation, child_frame


def child_rows(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` child rows spread evenly over the child measures, months and the two detail groups."""
    codes = list(CHILD_MEASURES)
    cells = len(codes) * MONTHS * len(DETAIL_GROUPS)
    cell = np.arange(n) % cells
    measure = cell % len(codes)
    month_index = (cell // len(codes)) % MONTHS
    group = cell // (len(codes) * MONTHS)
    starts = np.array([np.datetime64(month(i)[0]) for i in range(MONTHS)])
    lengths = np.array([month(i)[1].day for i in range(MONTHS)])
    value = np.full(n, np.nan)
    for index, (kind, parameter) in enumerate(CHILD_MEASURES.values()):
        rows = measure == index
        if kind == "bernoulli":
            value[rows] = rng.random(rows.sum()) < parameter
        elif kind == "days":
            value[rows] = np.maximum(1, np.round(rng.normal(parameter, 9, rows.sum())))
    digests = _digests(n, rng)
    day = starts[month_index] + (rng.random(n) * lengths[month_index]).astype("timedelta64[D]")
    # A proportion's child had the event only when it counts (value 1): the others are censored at
    # the period end, so a time-to-event plan's events are the numerators its cells add up.
    proportions = [index for index, (kind, _) in enumerate(CHILD_MEASURES.values()) if kind == "bernoulli"]
    censored = np.isin(measure, proportions) & (value != 1)
    frame = pd.DataFrame(
        {
            "child_digest": digests,
            "measure_code": np.array(codes)[measure],
            "month": month_index,
            "period_start": starts[month_index],
            "event_date": np.where(censored, np.datetime64("NaT"), day),
            "group": np.array(DETAIL_GROUPS)[group],
            "value": value,
        }
    )
    # When each child's time to the event started (a referral, say), from a generator of its own so
    # that every other number is as before: up to two years before the event, or before the day a
    # censored child was seen (exponential, mean 120 days), so a time-to-event plan's one-year
    # horizon has children followed beyond it.
    draw = np.random.default_rng(START_SEED)
    days = np.minimum(np.round(draw.exponential(START_MEAN_DAYS, n)), 730).astype("timedelta64[D]")
    frame["start_date"] = day - days
    return frame


def _digests(n: int, rng: np.random.Generator) -> list[str]:
    """Random 64-character hex digests, standing for keyed pseudonyms."""
    text = rng.bytes(32 * n).hex()
    return [text[i : i + 64] for i in range(0, 64 * n, 64)]


def store_children(frame: pd.DataFrame, submission, measure_ids: dict[str, int]) -> None:
    """As outcomes.ingest stores them: COPY into a staging table, then INSERT ... SELECT (PostgreSQL
    refuses COPY into a table with row-level security)."""
    ends = {np.datetime64(month(i)[0]): month(i)[1].isoformat() for i in range(MONTHS)}
    value = np.where(np.isnan(frame["value"]), "\\N", frame["value"].fillna(0).astype(int).astype(str))
    columns = [
        frame["child_digest"],
        pd.Series(["v1"] * len(frame)),
        frame["measure_code"].map(lambda code: str(measure_ids[code])),
        frame["period_start"].dt.strftime("%Y-%m-%d"),
        frame["period_start"].map(lambda start: ends[np.datetime64(start.date())]),
        frame["event_date"].dt.strftime("%Y-%m-%d").fillna("\\N"),  # censored: no event date
        frame["start_date"].dt.strftime("%Y-%m-%d"),
        frame["group"],
        pd.Series(value),
    ]
    text = ("\n".join(map("\t".join, zip(*[list(c) for c in columns]))) + "\n").encode()
    names = (
        '"child_digest", "key_version", "measure_id", "period_start", "period_end", "event_date", "start_date", "group", "value"'
    )
    cursor = connection.cursor().cursor
    cursor.execute(
        f"CREATE TEMPORARY TABLE bench_children ON COMMIT DROP AS SELECT {names} FROM outcomes_childrecord WITH NO DATA"
    )
    with cursor.copy(f"COPY bench_children ({names}) FROM STDIN") as copy:
        for start in range(0, len(text), 1 << 24):
            copy.write(text[start : start + (1 << 24)])
    cursor.execute(
        f"INSERT INTO outcomes_childrecord (partner_id, evaluation_id, submission_id, {names}) "
        f"SELECT %s, %s, %s, {names} FROM bench_children",
        [submission.partner_id, submission.evaluation_id, submission.pk],
    )


def aggregate_values(measures, children: pd.DataFrame, rng: np.random.Generator) -> list[dict]:
    """Every measure x month x group: child measures as their rows add up, the others generated."""
    rows = []
    both = children.assign(group="all")
    added = pd.concat([children, both]).groupby(["measure_code", "month", "group"])["value"]
    totals = pd.DataFrame({"n": added.size(), "ones": added.sum(), "median": added.median()})
    for measure in measures:
        rare = measure.code == f"bench_local_{LOCAL_MEASURES}"
        for index in range(MONTHS):
            start, end = month(index)
            detail = {}
            for group in (*DETAIL_GROUPS, "all"):
                if measure.code in CHILD_MEASURES:
                    total = totals.loc[(measure.code, index, group)]
                    kind = CHILD_MEASURES[measure.code][0]
                    if kind == "bernoulli":
                        cell = {"numerator": int(total.ones), "denominator": int(total.n)}
                        cell["value"] = round(100 * cell["numerator"] / cell["denominator"], 4)
                    elif kind == "days":
                        cell = {"value": float(total["median"]), "denominator": int(total.n)}
                    else:
                        cell = {"value": int(total.n)}
                elif group == "all":
                    cell = _all_of(measure.unit, detail)
                else:
                    cell = _generated(measure.unit, rng, rare)
                    detail[group] = cell
                rows.append({"measure": measure, "period_start": start, "period_end": end, "group": group, **cell})
    return rows


def _generated(unit: str, rng: np.random.Generator, rare: bool) -> dict:
    if unit == "percentage":
        denominator = int(rng.integers(20, 40) if rare else rng.integers(100, 200))
        numerator = int(rng.binomial(denominator, 0.1 if rare else 0.3))
        return {"value": round(100 * numerator / denominator, 4), "numerator": numerator, "denominator": denominator}
    if unit == "rate_10k":
        return {"value": round(float(rng.normal(45, 2)), 1)}
    if unit == "count":
        return {"value": int(rng.poisson(30))}
    return {"value": float(round(rng.normal(28, 3))), "denominator": int(rng.integers(60, 90))}  # days


def _all_of(unit: str, detail: dict) -> dict:
    a, b = detail["intervention"], detail["comparison"]
    if unit == "percentage":
        numerator, denominator = a["numerator"] + b["numerator"], a["denominator"] + b["denominator"]
        return {"value": round(100 * numerator / denominator, 4), "numerator": numerator, "denominator": denominator}
    if unit == "rate_10k":
        return {"value": round((a["value"] + b["value"]) / 2, 1)}
    if unit == "count":
        return {"value": a["value"] + b["value"]}
    denominator = a["denominator"] + b["denominator"]  # days: the children-weighted mean
    return {
        "value": round((a["value"] * a["denominator"] + b["value"] * b["denominator"]) / denominator, 4),
        "denominator": denominator,
    }


# --- Timing ----------------------------------------------------------------------------------------


REFRESHES: list[float] = []  # seconds of each dashboard refresh that ran eagerly in a full build


def timed_refresh(refresh):
    def timed(**kwargs):
        start = time.perf_counter()
        try:
            return refresh(**kwargs)
        finally:
            REFRESHES.append(time.perf_counter() - start)

    return timed


STAGES: list[tuple[str, float]] = []  # (stage the worker reported, when) in the last full build
STORED = "(files stored)"


def traced_job(job_class) -> None:
    """Note when the worker reports each stage of a build, and when it has stored the files."""
    progress, update = job_class.progress, job_class.update

    def traced_progress(self, percent, stage=None):
        if stage is not None:
            STAGES.append((stage, time.perf_counter()))
        return progress(self, percent, stage)

    def traced_update(self, **fields):
        storing = "pdf" in fields
        if storing:
            STAGES.append(("Storing the files", time.perf_counter()))
        try:
            return update(self, **fields)
        finally:
            if storing:
                STAGES.append((STORED, time.perf_counter()))

    job_class.progress, job_class.update = traced_progress, traced_update


def build_stages() -> dict[str, float]:
    """Seconds from each stage the worker reported in the last full build to the next."""
    return {stage: later - when for (stage, when), (_, later) in zip(STAGES, STAGES[1:])}


def full_build(partner, lead, evaluation) -> tuple[float, float, float]:
    """(seconds from request to built report, the build alone as the row records it, of the first
    the dashboards' refresh). A built report queues a refresh of the evaluation's dashboard figures
    (a task of its own, REFRESH_DELAY_SECONDS later, in a worker); Celery runs it eagerly here, at the
    commit, inside the first figure."""
    from pine.tenancy import partner_scope
    from reports import services
    from reports.models import Report

    REFRESHES.clear()
    STAGES.clear()
    start = time.perf_counter()
    with transaction.atomic(), partner_scope(partner.pk):
        report = services.report_request(partner=partner, actor=lead, evaluation=evaluation)
    seconds = time.perf_counter() - start  # the eager task ran at the commit
    with transaction.atomic(), partner_scope(partner.pk):
        report = Report.objects.only("status", "started_at", "finished_at").get(pk=report.pk)
    assert report.status == Report.Status.DONE, report.status
    return seconds, (report.finished_at - report.started_at).total_seconds(), sum(REFRESHES)


def stages(partner, evaluation, profile: bool) -> dict[str, float]:
    """One pass of each stage of the build, as ``reports.services`` runs them, on the latest report."""
    from outcomes import selectors as outcome_selectors
    from pine.tenancy import partner_scope
    from reports import disclosure, documents, evidence, services
    from reports.models import Report
    from reports.word import report_docx
    from reports.workbook import report_workbook

    times: dict[str, float] = {}
    with transaction.atomic(), partner_scope(partner.pk):
        report = (
            Report.objects.filter(partner=partner, evaluation=evaluation)
            .select_related("evaluation__application", "partner", "plan")
            .defer("html", "pdf")
            .latest("version")
        )
        start = time.perf_counter()
        frame = outcome_selectors.outcome_frame_at(partner=partner, evaluation=evaluation, snapshot=report.snapshot)
        times["read"] = time.perf_counter() - start
        spec = services.plan_spec(report.plan)
        threshold = report.parameters["threshold"]
        planned = frame[frame["measure_code"].isin([m.code for m in spec.measures])].reset_index(drop=True)
        start = time.perf_counter()
        children = services._children(report, spec)  # a time-to-event plan's child rows (else None)
        times["children"] = time.perf_counter() - start

        start = time.perf_counter()
        disclosure.safe_cells(planned, threshold=threshold)
        times["safe_cells"] = time.perf_counter() - start

        profiler = cProfile.Profile() if profile else None
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        built = evidence.evidence_build(frame, spec, threshold=threshold, children=children)
        if profiler:
            profiler.disable()
        times["evidence"] = time.perf_counter() - start

        start = time.perf_counter()
        checksum = evidence.frame_checksum(frame)
        document = evidence.results_document(
            built, report="r", evaluation="e", version=report.version, data_checksum=checksum, code_version=report.code_version
        )
        evidence.results_json(document)
        times["json"] = time.perf_counter() - start
        context = services._context(report, checksum)

    marks = [("figures", time.perf_counter())]

    def progress(percent, stage):
        marks.append((stage, time.perf_counter()))

    documents_profiler = cProfile.Profile() if profile else None
    if documents_profiler:
        documents_profiler.enable()
    documents.build_report(built, context, progress=progress)
    if documents_profiler:
        documents_profiler.disable()
    marks.append(("end", time.perf_counter()))
    times["documents"] = marks[-1][1] - marks[0][1]
    # build_report calls progress before: wording the sections and figures (then the browser draws
    # the charts in a thread), HTML, laying out the PDF (and waiting for the charts), writing the PDF.
    named = {"Drawing charts": "figures", "Writing HTML": "html", "Laying out the PDF": "pdf_layout", "Writing PDF": "pdf"}
    for (stage, at), (_, after) in zip(marks[1:], marks[2:]):
        if stage in named:
            times[named[stage]] = after - at
    figures = documents.report_figures(built)
    start = time.perf_counter()
    charts = documents.draw_charts(figures)  # alone, for scale: in a build they are drawn while the PDF is laid out
    times["charts"] = time.perf_counter() - start
    start = time.perf_counter()
    report_workbook(built, context)
    times["xlsx"] = time.perf_counter() - start
    start = time.perf_counter()
    report_docx(built, context, charts=charts)
    times["docx"] = time.perf_counter() - start
    if profile:
        times["_profiles"] = {"evidence": profiler, "documents": documents_profiler}
    return times


def save_report(partner, folder: Path) -> None:
    """The latest report's files, as a user downloads them, for a look at what the bench built."""
    from pine.tenancy import partner_scope
    from reports.models import Report

    folder.mkdir(parents=True, exist_ok=True)
    with transaction.atomic(), partner_scope(partner.pk):
        report = Report.objects.filter(partner=partner).only("html", "pdf", "results").latest("version")
        for name, content in (("report.html", report.html), ("report.pdf", report.pdf), ("results.json", report.results)):
            data = content.encode() if isinstance(content, str) else bytes(content or b"")
            (folder / name).write_bytes(data)
    print(f"the last report's files are in {folder}")


def best_of(func, repeat: int) -> float:
    """The median of ``repeat`` timings of ``func()``."""
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def bare_groupby(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.groupby(["measure_code", "group"]).agg(
        value=("value", "mean"), numerator=("numerator", "sum"), denominator=("denominator", "sum"), periods=("value", "size")
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--builds", type=int, default=3, help="timed builds (and passes of each stage)")
    parser.add_argument("--children", type=int, default=1_000_000, help="child-level rows to store")
    parser.add_argument("--design", default="did", choices=["did", "its", "pre_post", "spc", "rct", "time_to_event"])
    parser.add_argument("--profile", action="store_true", help="profile the evidence and documents stages")
    parser.add_argument("--save", metavar="FOLDER", help="write the last report's HTML, PDF and results JSON there, to look at")
    args = parser.parse_args()

    from outcomes import selectors as outcome_selectors
    from pine import jobs
    from pine.tenancy import partner_scope
    from reports.tasks import warm_up

    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # no mail leaves the benchmark
    try:
        start = time.perf_counter()
        partner, lead, evaluation, children = make_evaluation(args.children, args.design, np.random.default_rng(7))
        print(f"setup: {args.children:,} child rows, 3,600 aggregate values, a signed-off {args.design} plan "
              f"({time.perf_counter() - start:.1f} s)")  # fmt: skip

        # A warm worker: modules imported, the chart renderer started, one report built.
        start = time.perf_counter()
        from reports.dashboards import services as dashboard_services

        dashboard_services.figures_refresh = timed_refresh(dashboard_services.figures_refresh)
        traced_job(jobs.Job)
        warm_up()  # as a worker process does at start: the chart renderer, its imports out of full collections
        full_build(partner, lead, evaluation)
        print(f"warm-up (imports, chart renderer, one build): {time.perf_counter() - start:.1f} s")

        with transaction.atomic(), partner_scope(partner.pk):
            frame = outcome_selectors.outcome_frame(partner=partner, evaluation=evaluation)
        groupby = best_of(lambda: bare_groupby(frame), 21)
        child_groupby = best_of(
            lambda: children.groupby(["measure_code", "period_start", "group"])["value"].agg(["size", "sum"]), 5
        )

        fulls, builds, refreshes, passes, traces = [], [], [], [], []
        for _ in range(args.builds):
            seconds, build, refresh = full_build(partner, lead, evaluation)
            traces.append(build_stages())
            fulls.append(seconds)
            builds.append(build)
            refreshes.append(refresh)
            passes.append(stages(partner, evaluation, args.profile and not passes))

        def median(key):
            return statistics.median(p[key] for p in passes)

        load = os.getloadavg()
        print(f"\nload average (1, 5, 15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
        print(f"frame: {len(frame):,} rows; medians of {args.builds} in seconds")
        print(f"full report (request + worker build, every output): {statistics.median(fulls):7.3f}   goal < 10 s")
        print(f"  the build alone (row started -> finished):         {statistics.median(builds):7.3f}")
        print(f"  the dashboards' refresh it queues (its own task):  {statistics.median(refreshes):7.3f}")
        without = statistics.median(f - r for f, r in zip(fulls, refreshes))
        print(f"  full report without that refresh:                  {without:7.3f}")
        print("  the build's stages as the worker reports them:")
        for stage in traces[0]:
            print(f"    {stage + ':':47}  {statistics.median(t.get(stage, 0.0) for t in traces):7.3f}")
        print(f"  read the snapshot frame:                           {median('read'):7.3f}")
        print(f"  read the child rows (time to event only):          {median('children'):7.3f}")
        print(f"  evidence_build (estimates + safe cells):           {median('evidence'):7.3f}")
        print(f"    of which safe_cells:                             {median('safe_cells'):7.3f}")
        print(f"  results JSON:                                      {median('json'):7.3f}")
        print(f"  documents (charts, HTML, PDF):                     {median('documents'):7.3f}")
        for key, label in (
            ("figures", "sections and figures"),
            ("html", "HTML"),
            ("pdf_layout", "PDF laid out (charts drawn meanwhile)"),
            ("pdf", "PDF written (with the charts)"),
        ):
            print(f"    {label + ':':47}  {median(key):7.3f}")
        print(f"  PNG charts drawn alone (browser), for scale:       {median('charts'):7.3f}")
        print(f"  workbook (XLSX):                                   {median('xlsx'):7.3f}")
        print(f"  Word document (DOCX):                              {median('docx'):7.3f}")
        print(f"bare pandas groupby of the same frame:               {groupby:7.4f}")
        print(f"analysis / groupby: {median('evidence') / groupby:,.0f}x   goal <= 1.5x")
        print(f"for scale, the same kind of groupby of the {len(children):,} child rows: {child_groupby:.3f} s "
              f"(analysis / that: {median('evidence') / child_groupby:.1f}x)")  # fmt: skip
        if args.save:
            save_report(partner, Path(args.save))
        if args.profile:
            for stage, profiler in passes[0]["_profiles"].items():
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
                print(f"\n--- profile: {stage} ---\n{out.getvalue()}")
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


if __name__ == "__main__":
    main()
