"""How long a statutory return takes to import, against a bare read of the same file.

Generates a synthetic CIN census of 60,000 children (referrals, assessments, section 47 enquiries,
child protection and CIN plans; fictional children only) and, each in a fresh process whose peak
memory (ru_maxrss) it reports:

(a) a bare lxml ``iterparse`` of the file, a ``Child`` at a time (each cleared): the floor;
(b) the pure pipeline: ``returns.cin.read`` (pseudonymise, check, child-level tables) and
    ``returns.cin.measures`` (every measure, monthly for the collection year, groups "all" and an
    intervention list of half the children, with a population for the rate);
(c) the whole import as the command runs it (``manage.py import_return``: the received file stored,
    read, measures computed, handed to the outcome store and stored), in a database of its own.

Then an SSDA903 of 100,000 episodes (``returns.ssda903.synthetic.write_large``: header, episodes,
missing and OC3 tables as CSV), each in a fresh process: (a) a bare pandas ``read_csv`` of the
tables; (b) ``returns.ssda903.read`` and ``measures`` (every measure, monthly over the three
collection years the return covers, groups "all" and a list of half the children); (c) the whole
import as the command runs it (the CSV files stored, read, every measure monthly over those years,
handed to the outcome store and stored), in a database of its own, as for the census. The goal
for each return: imported and every measure computed in under 30 s with peak memory under 1 GB.

    .venv/bin/python bench/returns.py [--children 60000] [--episodes 100000] [--no-database]

BENCH_PROFILE=FILE writes cProfile's statistics of each whole import (c) to FILE (the last one kept).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_pine_returns")
os.environ["OUTCOME_UPLOAD_MAX_BYTES"] = str(10**12)
if "UPLOADS_ROOT" not in os.environ:
    os.environ["UPLOADS_ROOT"] = tempfile.mkdtemp(prefix="pine-bench-uploads-")

YEAR = 2025
SSDA903_YEARS = (2021, 2024)  # write_large: periods of care from April 2021, all over by March 2024


def _met(figures: dict) -> str:
    return "met" if figures["seconds"] < 30 and figures["peak_mb"] < 1000 else "NOT met"


def _peak() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def bare(path: str) -> None:
    from lxml import etree

    start = time.perf_counter()
    children = 0
    for _, element in etree.iterparse(path, events=("end",), tag="Child"):
        children += 1
        element.clear(keep_tail=False)
        while element.getprevious() is not None:
            del element.getparent()[0]
    print(json.dumps({"seconds": time.perf_counter() - start, "peak_mb": _peak(), "children": children}))


def pure(path: str) -> None:
    import hashlib
    import hmac

    import pandas as pd

    from returns import cin
    from returns.types import ALL, Group, Period

    def pseudonymise(ref: str) -> str:
        return "pseudo:v1:" + hmac.new(b"bench-key", ref.encode(), hashlib.sha256).hexdigest()

    start = time.perf_counter()
    with open(path, "rb") as file:
        read = cin.read([(Path(path).name, file)], pseudonymise=pseudonymise)
    read_seconds = time.perf_counter() - start
    children = read.tables["children"]["child"]
    intervention = Group("intervention", children=frozenset(children.iloc[::2]))
    periods = [Period(p.start_time.date(), p.end_time.date()) for p in pd.period_range(f"{YEAR - 1}-04", f"{YEAR}-03", freq="M")]
    frame = cin.measures(read, periods=periods, groups=[ALL, intervention], population={YEAR - 1: 250_000})
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "read_seconds": read_seconds, "peak_mb": _peak(), "children": read.children,
                      "records": read.records, "rows": len(frame), "problems": len(read.problems)}))  # fmt: skip


def command(partner: str, evaluation: str, *arguments: str) -> None:
    """``manage.py import_return`` for the partner's evaluation: ``arguments`` are its files and options."""
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DATABASES["default"]["NAME"] = os.environ["TEST_DATABASE_NAME"]
    # Imported before the clock starts, as a running worker has them: the URLconf (the outcome store
    # names its pages), the command and every return's package. Cold, they cost tens of seconds on
    # a machine that compiles every module afresh (PYTHONDONTWRITEBYTECODE), whatever the return's size.
    import_start = time.perf_counter()
    from django.urls import get_resolver

    from returns import registry
    from returns.management.commands import import_return  # noqa: F401

    len(get_resolver().url_patterns)
    registry.available()
    imports_seconds = time.perf_counter() - import_start
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    profile = None
    if os.environ.get("BENCH_PROFILE"):  # a file to write cProfile's statistics of the import to
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    start = time.perf_counter()
    with out.open("w") as sink:
        call_command("import_return", "--partner", partner, "--evaluation", evaluation, *arguments, stdout=sink)
    seconds = time.perf_counter() - start
    if profile is not None:
        profile.disable()
        profile.dump_stats(os.environ["BENCH_PROFILE"])
    result = json.loads(out.read_text())
    out.unlink()
    submission = result["submission"] or {}
    explained_seconds = 0.0
    if submission.get("status") == "needs_explanation":
        # Synthetic months jump about: the outcome store asks why. The partner explains, and a worker
        # stores the values; that store is timed too (added to the import's time).
        from django.db import transaction

        from outcomes import services as outcome_services
        from outcomes.models import Submission
        from pine.tenancy import practice_scope

        explain_start = time.perf_counter()
        with transaction.atomic(), practice_scope():
            Submission.objects.filter(code=submission["code"]).update(
                explanation="Synthetic data (benchmark).", status=Submission.Status.QUEUED, progress=0
            )
            pk = Submission.objects.get(code=submission["code"]).pk
        outcome_services.submission_process(submission_id=pk)
        with transaction.atomic(), practice_scope():
            stored = Submission.objects.get(pk=pk)
            submission = {"status": f"explained, then {stored.status}", "rows": submission.get("rows")}
        explained_seconds = time.perf_counter() - explain_start
        seconds += explained_seconds
    print(json.dumps({"seconds": seconds, "peak_mb": _peak(), "status": result["status"], "imports_seconds": imports_seconds,
                      "explained_seconds": explained_seconds,
                      "submission": submission.get("status"), "rows": submission.get("rows")}))  # fmt: skip


def in_process(mode: str, *args: str, env: dict | None = None) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, f"--{mode}", *args], env={**os.environ, **(env or {})}, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"{mode} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def database_import(arguments: list[str], population: dict[int, int]) -> dict:
    """The whole import (``import_return`` with ``arguments``: files and options) in a fresh process,
    into a database of its own made for the run."""
    import django

    django.setup()
    from django.db import connection, transaction

    from pine.tenancy import practice_scope
    from tests import factories

    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with transaction.atomic(), practice_scope():
            evaluation = factories.EvaluationFactory()
            factories.MembershipFactory(partner=evaluation.partner, role="lead")
            evaluation.population = {str(year): count for year, count in population.items()}
            evaluation.save()
        # As a worker runs it: what the import queues goes to the broker, not inline.
        # One JSON argument: the options in it are import_return's, not this script's.
        return in_process("command", json.dumps([evaluation.partner.slug, str(evaluation.code), *arguments]),
                          env={"TEST_DATABASE_NAME": name, "CELERY_TASK_ALWAYS_EAGER": "0"})  # fmt: skip
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


def ssda903_bare(folder: str) -> None:
    import pandas as pd

    start = time.perf_counter()
    rows = sum(len(pd.read_csv(path, dtype=str, keep_default_na=False)) for path in sorted(Path(folder).glob("*.csv")))
    print(json.dumps({"seconds": time.perf_counter() - start, "peak_mb": _peak(), "rows": rows}))


def ssda903_pure(folder: str) -> None:
    """Read the tables (pseudonymise, check) and compute every measure, monthly over the years the
    return covers, for "all" and an intervention list of half the children."""
    import hashlib
    import hmac

    import pandas as pd

    from returns import ssda903
    from returns.types import ALL, Group, Period

    def pseudonymise(ref: str) -> str:
        return "pseudo:v1:" + hmac.new(b"bench-key", ref.encode(), hashlib.sha256).hexdigest()

    paths = sorted(Path(folder).glob("*.csv"))
    start = time.perf_counter()
    handles = [open(p, "rb") for p in paths]
    try:
        read = ssda903.read([(p.name, h) for p, h in zip(paths, handles)], pseudonymise=pseudonymise)
    finally:
        for handle in handles:
            handle.close()
    read_seconds = time.perf_counter() - start
    children = read.tables["header"]["child"] if "header" in read.tables else pd.Series(dtype=str)
    intervention = Group("intervention", children=frozenset(children.iloc[::2]))
    first, last = SSDA903_YEARS
    periods = [Period(p.start_time.date(), p.end_time.date()) for p in pd.period_range(f"{first}-04", f"{last}-03", freq="M")]
    frame = ssda903.measures(
        read, periods=periods, groups=[ALL, intervention], population={y: 250_000 for y in range(2000, 2030)}
    )
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "read_seconds": read_seconds, "peak_mb": _peak(), "records": read.records,
                      "rows": len(frame), "problems": len(read.problems)}))  # fmt: skip


def ssda903_part(folder: Path, episodes: int, store: bool = True) -> None:
    from returns.ssda903.synthetic import write_large

    tables = folder / "ssda903"
    start = time.perf_counter()
    paths = write_large(tables, episodes=episodes)
    size = sum(p.stat().st_size for p in paths) / 1e6
    print(f"\nSSDA903: {episodes:,} episodes in {len(paths)} CSV tables, {size:.0f} MB "
          f"(generated in {time.perf_counter() - start:.1f} s)")  # fmt: skip
    floor = in_process("ssda903-bare", str(tables))
    print(f"(a) bare pandas read_csv of the tables:  {floor['seconds']:6.2f} s, peak {floor['peak_mb']:5.0f} MB")
    piped = in_process("ssda903-pure", str(tables))
    print(f"(b) read + every measure (pure):       {piped['seconds']:6.2f} s, peak {piped['peak_mb']:5.0f} MB "
          f"[read {piped['read_seconds']:.2f} s; {piped['records']:,} records, {piped['rows']} measure rows, "
          f"{piped['problems']} problems] = {piped['seconds'] / floor['seconds']:.2f}x the bare read "
          f"(goal under 30 s and 1 GB: {'met' if piped['seconds'] < 30 and piped['peak_mb'] < 1000 else 'NOT met'})")  # fmt: skip
    if store:
        # Monthly over the three collection years the return covers, as the page would with those periods.
        arguments = [*map(str, paths), "--frequency", "monthly", "--from", f"{SSDA903_YEARS[0]}-04-01",
                     "--to", f"{SSDA903_YEARS[1]}-03-31"]  # fmt: skip
        whole = database_import(arguments, {year: 250_000 for year in range(2000, 2030)})
        print(f"(c) the whole import (import_return):  {whole['seconds']:6.2f} s, peak {whole['peak_mb']:5.0f} MB "
              f"[{whole['status']}; submission {whole['submission']}, {whole['rows']} values; imports before: "
              f"{whole['imports_seconds']:.1f} s; of it explaining and storing: {whole['explained_seconds']:.1f} s] "
              f"= {whole['seconds'] / floor['seconds']:.2f}x the bare read "
              f"(goal under 30 s and 1 GB: {_met(whole)})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=60_000)
    parser.add_argument("--episodes", type=int, default=100_000, help="SSDA903 episodes")
    parser.add_argument("--no-database", action="store_true", help="skip (c), the whole import into a database")
    parser.add_argument("--bare", help=argparse.SUPPRESS)
    parser.add_argument("--pure", help=argparse.SUPPRESS)
    parser.add_argument("--command", help=argparse.SUPPRESS)
    parser.add_argument("--ssda903-bare", help=argparse.SUPPRESS)
    parser.add_argument("--ssda903-pure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ssda903_bare:
        return ssda903_bare(args.ssda903_bare)
    if args.ssda903_pure:
        return ssda903_pure(args.ssda903_pure)
    if args.bare:
        return bare(args.bare)
    if args.pure:
        return pure(args.pure)
    if args.command:
        return command(*json.loads(args.command))

    from returns.cin.synthetic import random_children, write_census

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"cin-{YEAR}.xml"
        start = time.perf_counter()
        write_census(path, YEAR, random_children(YEAR, args.children, seed=2025))
        print(f"CIN census: {args.children:,} children, {path.stat().st_size / 1e6:.0f} MB "
              f"(generated in {time.perf_counter() - start:.1f} s)")  # fmt: skip
        floor = in_process("bare", str(path))
        print(f"(a) bare lxml iterparse:               {floor['seconds']:6.2f} s, peak {floor['peak_mb']:5.0f} MB")
        piped = in_process("pure", str(path))
        print(f"(b) read + every measure (pure):       {piped['seconds']:6.2f} s, peak {piped['peak_mb']:5.0f} MB "
              f"[read {piped['read_seconds']:.2f} s; {piped['records']:,} records, {piped['rows']} measure rows, "
              f"{piped['problems']} problems] = {piped['seconds'] / floor['seconds']:.2f}x the bare parse")  # fmt: skip
        if not args.no_database:
            whole = database_import([str(path), "--frequency", "monthly"], {YEAR - 1: 250_000})
            print(f"(c) the whole import (import_return):  {whole['seconds']:6.2f} s, peak {whole['peak_mb']:5.0f} MB "
                  f"[{whole['status']}; submission {whole['submission']}, {whole['rows']} values; imports before: "
              f"{whole['imports_seconds']:.1f} s; of it explaining and storing: {whole['explained_seconds']:.1f} s] "
                  f"= {whole['seconds'] / floor['seconds']:.2f}x the bare parse")  # fmt: skip
        ssda903_part(Path(folder), args.episodes, store=not args.no_database)


if __name__ == "__main__":
    main()
