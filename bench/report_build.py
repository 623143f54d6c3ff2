"""How long a report takes to build, and what starting the chart renderer once saves.

Builds the demo evaluation's report (3 measures x 2 groups x 36 months) from a DataFrame, in one
process: first as a worker that has not started kaleido's shared browser (each report starts its
own), then after ``start_chart_renderer()`` (what a Celery worker does when it starts). Prints both
and the ratio. No database: the report builder is pure functions over a DataFrame.

    .venv/bin/python bench/report_build.py [--runs 3]
"""

import argparse
import io
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

import pandas as pd  # noqa: E402

from demo.data import demo_outcome_csv  # noqa: E402
from measures.library import STANDARD_MEASURES  # noqa: E402
from reports.documents import build_report, chart_browser, start_chart_renderer  # noqa: E402


def demo_frame() -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(demo_outcome_csv()), dayfirst=True, parse_dates=["period_start", "period_end"])
    library = {m.code: m for m in STANDARD_MEASURES}
    frame = frame.rename(columns={"measure": "measure_code"})
    frame["measure_name"] = frame["measure_code"].map(lambda c: library[c].name)
    frame["unit"] = frame["measure_code"].map(lambda c: library[c].unit)
    frame["polarity"] = frame["measure_code"].map(lambda c: library[c].polarity)
    frame["numerator"] = frame["numerator"].astype("Int64")
    frame["denominator"] = frame["denominator"].astype("Int64")
    frame["approved"] = True
    return frame


def timed(frame: pd.DataFrame, runs: int) -> tuple[float, int, int]:
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        files = build_report(frame, title="Demo", partner_name="Northshire", generated_at=datetime.now(UTC), threshold=5)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), len(files.html), len(files.pdf)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if chart_browser() is None:
        sys.exit("No Chromium found: charts in PDFs need one (apt-get install chromium).")
    frame = demo_frame()
    print(f"frame: {len(frame)} rows; runs per case: {args.runs}")
    cold, html_size, pdf_size = timed(frame, args.runs)
    print(f"baseline (a browser per report):        {cold:6.2f} s per report")
    start_chart_renderer()
    timed(frame, 1)  # the shared browser's first page
    warm, _, _ = timed(frame, args.runs)
    print(f"shared chart renderer (Celery workers): {warm:6.2f} s per report")
    print(f"ratio: {cold / warm:.2f}x faster; HTML {html_size / 1e6:.2f} MB, PDF {pdf_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
