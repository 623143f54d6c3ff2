"""A time-to-event report end to end: a child-level upload with start and event dates, a signed-off
time-to-event plan, a report version whose results JSON holds the estimate and the safe curves, and
whose HTML, workbook and Word document show the Kaplan-Meier chart and numbers at risk with no step
that stands for fewer children than the threshold. Rebuilt from its snapshot, it gives the same bytes
after more child rows arrive."""

import io
import json
import re
import zipfile
from datetime import date, timedelta

import numpy as np
import pytest
from openpyxl import load_workbook

from evaluations import services as evaluation_services
from outcomes import services as outcome_services
from reports import services
from reports.models import Report

pytestmark = pytest.mark.django_db

THRESHOLD = 5
FOLLOW_UP_END = date(2025, 3, 31)
PLAN = {
    "research_questions": "Do children come back more slowly after family group conferences?",
    "design": "time_to_event",
    "intervention_start": date(2024, 4, 1),
    "baseline_start": date(2023, 4, 1),
    "baseline_end": date(2024, 3, 31),
    "follow_up_start": date(2024, 4, 1),
    "follow_up_end": FOLLOW_UP_END,
    "comparison_group": "Two other districts",
    "measures": [{"code": "re_referrals_12m", "direction": "decrease", "role": "primary"}],
    "horizon_days": 180,
}


def plotly_traces(html: str) -> list[dict]:
    """Every trace of every chart in a report's HTML (the data given to Plotly.newPlot)."""
    decoder = json.JSONDecoder()
    traces = []
    for call in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*', html):
        data, _ = decoder.raw_decode(html, call.end())
        traces += data
    return traces


def month(day: date) -> tuple[date, date]:
    start = day.replace(day=1)
    return start, (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)


CHILDREN = 250  # a group


def children(seed: int = 7) -> tuple[str, list[tuple[str, date, date | None]]]:
    """250 children a group, starting April to June 2024; the comparison group comes back sooner.
    Each child is one row, in the month of their re-referral, or (none by the end) in March 2025.
    With this seed every month of either group has no re-referral or at least 5, and so do the
    children without one: no monthly cell is hidden, so the curves may be shown (a hidden month
    would hide its group's curve, which could give it back)."""
    rng = np.random.default_rng(seed)
    lines = ["child_ref,measure,period_start,period_end,event_date,start_date,group,value"]
    truth = []
    for group, mean_days in (("intervention", 400), ("comparison", 150)):
        for n in range(CHILDREN):
            start = date(2024, 4, 1) + timedelta(days=int(rng.integers(0, 91)))
            event = start + timedelta(days=int(rng.exponential(mean_days)))
            if event > FOLLOW_UP_END:
                event = None
            first, last = month(event or FOLLOW_UP_END)
            happened = f"{event:%d/%m/%Y}" if event else ""
            lines.append(
                f"{group[0]}{n},re_referrals_12m,{first:%d/%m/%Y},{last:%d/%m/%Y},{happened},{start:%d/%m/%Y},{group},"
                f"{1 if event else 0}"
            )
            truth.append((group, start, event))
    return "\n".join(lines) + "\n", truth


def store(partner, actor, evaluation, text: str, filename: str):
    """Upload and, where PINE asks about unusual values (a few children a month swing widely), explain."""
    upload = outcome_services.submission_upload(
        partner=partner, actor=actor, evaluation=evaluation, filename=filename, content=text.encode()
    )
    if upload.status == "needs_explanation":
        outcome_services.submission_explain(partner=partner, actor=actor, submission=upload, explanation="Few children a month.")
        outcome_services.submission_process(submission_id=upload.pk)
        upload.refresh_from_db()
    return upload


def build(partner, actor, evaluation) -> Report:
    report = services.report_request(partner=partner, actor=actor, evaluation=evaluation)
    services.report_build(report_id=report.pk)
    return Report.objects.get(pk=report.pk)


def test_a_time_to_event_report_shows_the_estimate_and_only_safe_kaplan_meier_steps(
    lead, partner, practice_admin, evaluation, settings, caplog
):
    settings.SUPPRESSION_THRESHOLD = THRESHOLD
    plan = evaluation_services.plan_save_draft(partner=partner, actor=lead, evaluation=evaluation, **PLAN)
    evaluation_services.plan_sign_off(actor=practice_admin, plan=plan)
    text, truth = children()
    upload = store(partner, lead, evaluation, text, "children.csv")
    assert upload.status == "accepted", upload.errors
    report = build(partner, lead, evaluation)
    assert report.status == "done", report.error
    # The chart by period is not in the PDF (the Kaplan-Meier chart is): the PDF laid out while the
    # charts were drawn takes the drawn ones as it is, not laid out again.
    assert "laid out again" not in caplog.text

    results = json.loads(bytes(report.results))
    assert results["design"] == "time_to_event"
    measure = results["measures"][0]
    assert measure["method"].startswith("Kaplan-Meier per group; difference in the percentage with the event by 180 days")
    assert measure["estimate"] is not None and measure["ci_low"] < measure["estimate"] < measure["ci_high"]
    assert measure["conclusion"] == "improved"  # fewer re-referrals by 180 days, the interval below zero
    survival = measure["time_to_event"]
    assert survival["horizon_days"] == 180 and survival["log_rank_p"] < 0.05
    groups = {g["group"]: g for g in survival["groups"]}
    assert groups["intervention"]["children"] == groups["comparison"]["children"] == CHILDREN

    # Every shown step: at least the threshold at risk, and at least the threshold events since the
    # step before, counted from the children themselves.
    for group, shown in groups.items():
        days = sorted(((event or FOLLOW_UP_END) - start).days for g, start, event in truth if g == group and event is not None)
        curve = shown["curve"]
        assert len(curve) > 2 and curve[0] == {"days": 0.0, "percent_with_event": 0.0, "at_risk": CHILDREN}
        for before, step in zip(curve, curve[1:]):
            assert step["at_risk"] >= THRESHOLD
            since = before["days"] if before is not curve[0] else -1  # events on the start day count in the first step
            assert sum(since < d <= step["days"] for d in days) >= THRESHOLD

    html = bytes(report.html).decode()
    assert "Step chart of the percentage of children in each group" in html
    # Read from its curves: no chart by period (its cells count each child once), in any document.
    assert "Line chart of" not in html
    with zipfile.ZipFile(io.BytesIO(bytes(report.docx))) as docx:
        word = docx.read("word/document.xml").decode()
    assert 'descr="Step chart of the percentage' in word and 'descr="Line chart of' not in word
    # The key message says what the percentage is of; the appendix says how its monthly cells count.
    assert "estimate of the difference in the percentage of children who had the event by 180 days: −" in html
    assert "; each child counted once, in the month of their event or of the end of their follow-up</caption>" in html
    (sentence,) = services.key_messages(results)
    assert "(estimated change in the percentage of children who had the event by 180 days -" in sentence
    assert "the number still at risk, at the chart's last step on or before every" in html
    traces = {t["name"]: t["x"] for t in plotly_traces(html) if t.get("line", {}).get("shape") == "hv"}  # the curves
    assert traces == {
        "Intervention": [step["days"] for step in groups["intervention"]["curve"]],
        "Comparison": [step["days"] for step in groups["comparison"]["curve"]],
    }
    # The numbers-at-risk table: a dozen rows a group, each one of the chart's (safe) steps, from day 0
    # to where the curve ends; every step is in the workbook (below).
    table = html.split('<table class="at-risk">')[1].split("</table>")[0]
    rows = re.findall(
        r'<tr><th scope="row">(\w+)</th><td class="number">([\d,]+)</td><td class="number">([\d.]+)%</td>'
        r'<td class="number">([\d,]+)</td></tr>',
        table,
    )
    for name, group in groups.items():
        shown = [(float(d.replace(",", "")), float(p), int(n.replace(",", ""))) for g, d, p, n in rows if g == name.capitalize()]
        steps = [(step["days"], step["percent_with_event"], step["at_risk"]) for step in group["curve"]]
        assert 2 < len(shown) <= 14 and set(shown) <= set(steps)
        assert shown[0] == steps[0] and shown[-1] == steps[-1]

    workbook = load_workbook(io.BytesIO(bytes(report.xlsx)))
    sheet = workbook[[name for name in workbook.sheetnames if "KM" in name][0]]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows.index(("Group", "Day", "Had the event (%)", "Number at risk", None, None))
    steps = [row[:4] for row in rows[header + 1 :]]
    assert steps == [
        (name.capitalize(), step["days"], step["percent_with_event"], step["at_risk"])
        for name, group in groups.items()
        for step in group["curve"]
    ]
    assert all(at_risk >= THRESHOLD for *_, at_risk in steps)

    # More children later: the version still reads the children of its own snapshot.
    more = "\n".join(
        [
            "child_ref,measure,period_start,period_end,event_date,start_date,group,value",
            *[f"x{n},re_referrals_12m,01/03/2025,31/03/2025,,01/03/2025,intervention,0" for n in range(10)],
        ]
    )
    assert store(partner, lead, evaluation, more, "more.csv").status == "accepted"
    rebuilt, checksum = services.report_results(report=report)
    assert rebuilt == bytes(report.results) and checksum == report.data_checksum
