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
tables; (b) ``returns.ssda903.read`` and ``measures`` (every measure, monthly over three years,
groups "all" and a list of half the children). The goal for each return: imported and every measure
computed in under 30 s with peak memory under 1 GB.

    .venv/bin/python bench/returns.py [--children 60000] [--episodes 100000] [--no-database]
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


def command(path: str, partner: str, evaluation: str) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DATABASES["default"]["NAME"] = os.environ["TEST_DATABASE_NAME"]
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    start = time.perf_counter()
    with out.open("w") as sink:
        call_command("import_return", "--partner", partner, "--evaluation", evaluation, path, "--frequency", "monthly",
                     stdout=sink)  # fmt: skip
    seconds = time.perf_counter() - start
    result = json.loads(out.read_text())
    out.unlink()
    submission = result["submission"] or {}
    print(json.dumps({"seconds": seconds, "peak_mb": _peak(), "status": result["status"],
                      "submission": submission.get("status"), "rows": submission.get("rows")}))  # fmt: skip


def in_process(mode: str, *args: str, env: dict | None = None) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, f"--{mode}", *args], env={**os.environ, **(env or {})}, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"{mode} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def database_import(path: Path) -> dict:
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
            evaluation.population = {str(YEAR - 1): 250_000}
            evaluation.save()
        # As a worker runs it: what the import queues goes to the broker, not inline.
        return in_process("command", str(path), evaluation.partner.slug, str(evaluation.code),
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
    periods = [Period(p.start_time.date(), p.end_time.date()) for p in pd.period_range(f"{YEAR - 3}-04", f"{YEAR}-03", freq="M")]
    frame = ssda903.measures(
        read, periods=periods, groups=[ALL, intervention], population={y: 250_000 for y in range(2000, 2030)}
    )
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "read_seconds": read_seconds, "peak_mb": _peak(), "records": read.records,
                      "rows": len(frame), "problems": len(read.problems)}))  # fmt: skip


def ssda903_part(folder: Path, episodes: int) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=60_000)
    parser.add_argument("--episodes", type=int, default=100_000, help="SSDA903 episodes")
    parser.add_argument("--no-database", action="store_true", help="skip (c), the whole import into a database")
    parser.add_argument("--bare", help=argparse.SUPPRESS)
    parser.add_argument("--pure", help=argparse.SUPPRESS)
    parser.add_argument("--command", nargs=3, help=argparse.SUPPRESS)
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
        return command(*args.command)

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
            whole = database_import(path)
            print(f"(c) the whole import (import_return):  {whole['seconds']:6.2f} s, peak {whole['peak_mb']:5.0f} MB "
                  f"[{whole['status']}; submission {whole['submission']}, {whole['rows']} values] "
                  f"= {whole['seconds'] / floor['seconds']:.2f}x the bare parse")  # fmt: skip
        ssda903_part(Path(folder), args.episodes)


if __name__ == "__main__":
    main()
