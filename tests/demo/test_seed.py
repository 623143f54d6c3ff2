"""The demo data: idempotent, every role, the logins written where the launcher reads them, and a
built report of each design a new user should see."""

import json

import pytest
from django.core.management import call_command

from demo.data import NORTHSHIRE_TRUE_EFFECTS, SOUTHBROOK_TRUE_EFFECTS, WESTVALE_TRUE_EFFECT
from evaluations.models import EvaluationPlan
from outcomes.models import ChildRecord, OutcomeValue, Submission
from reports.models import Report

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_writes_its_users_as_json(tmp_path, capsys):
    logins = tmp_path / "logins.json"
    call_command("seed_demo", "--password", "demo-pass-123", "--json", str(logins))
    users = json.loads(logins.read_text())
    assert capsys.readouterr().out == "Demo data ready: 10 users.\n"
    call_command("seed_demo", "--json", "-")
    assert json.loads(capsys.readouterr().out) == users
    roles = {u["role"] for u in users}
    assert {"practice_admin", "reviewer", "analyst", "lead", "contributor", "viewer"} <= roles
    assert len({u["partner"] for u in users if u["partner"]}) >= 3
    assert OutcomeValue.objects.filter(partner__slug="northshire").count() == 36 * 2 * 3
    assert OutcomeValue.objects.filter(partner__slug="southbrook").count() == 48 * 2
    assert Submission.objects.count() == 3
    assert EvaluationPlan.objects.count() == 3 and Report.objects.count() == 3


def _built_report(slug: str) -> tuple[str, dict]:
    """The partner's one report, built: its design and its measures' results by code."""
    report = Report.objects.get(partner__slug=slug)
    assert report.status == Report.Status.DONE and not report.draft
    assert bytes(report.pdf).startswith(b"%PDF") and b"<html" in bytes(report.html)
    results = json.loads(bytes(report.results))
    return results["design"], {m["measure"]: m for m in results["measures"]}


def test_the_demo_has_a_built_report_of_each_design_that_recovers_the_effects_it_was_made_with():
    call_command("seed_demo")

    did = EvaluationPlan.objects.get(partner__slug="northshire")
    assert did.status == EvaluationPlan.Status.SIGNED_OFF and did.design == "did"
    assert (did.baseline_start.isoformat(), did.baseline_end.isoformat()) == ("2023-04-01", "2024-03-31")
    assert did.intervention_start.isoformat() == "2024-04-01" and did.comparison_rows == "comparison"
    assert did.primary_measures() == ["re_referrals_12m"]
    design, results = _built_report("northshire")
    assert design == "did"
    primary = results["re_referrals_12m"]
    assert primary["primary"] and primary["conclusion"] == "improved"
    assert primary["estimate"] == pytest.approx(NORTHSHIRE_TRUE_EFFECTS["re_referrals_12m"], abs=0.5)
    assert primary["ci_low"] < NORTHSHIRE_TRUE_EFFECTS["re_referrals_12m"] < primary["ci_high"]
    for code in ("assessments_45_days", "cp_plans_rate"):
        assert not results[code]["primary"]
        assert results[code]["estimate"] == pytest.approx(NORTHSHIRE_TRUE_EFFECTS[code], abs=1.5)
    # The child protection rate comes with its counts, consistent with it, so no cell is hidden.
    rates = results["cp_plans_rate"]["cells"]
    assert rates and all(c["value"] is not None and c["numerator"] is not None for c in rates)
    for cell in rates:
        # shown to one decimal place, as the tables show it
        assert cell["value"] == pytest.approx(10_000 * cell["numerator"] / cell["denominator"], abs=0.06)

    its = EvaluationPlan.objects.get(partner__slug="southbrook")
    assert its.status == EvaluationPlan.Status.SIGNED_OFF and its.design == "its"
    assert its.intervention_rows == "all" and its.comparison_rows == ""
    assert ChildRecord.objects.filter(partner__slug="southbrook", event_date__isnull=False).count() > 4000
    design, results = _built_report("southbrook")
    assert design == "its"
    primary = results["days_referral_to_assessment"]
    assert primary["primary"] and primary["conclusion"] == "improved"  # the drop the data were made with
    assert primary["ci_low"] < SOUTHBROOK_TRUE_EFFECTS["days_referral_to_assessment"] < primary["ci_high"] < 0
    assert results["entries_to_care"]["conclusion"] == "no clear change"  # made with no change

    tte = EvaluationPlan.objects.get(partner__slug="westvale-police")
    assert tte.status == EvaluationPlan.Status.SIGNED_OFF and tte.design == "time_to_event" and tte.horizon_days == 365
    assert (tte.intervention_rows, tte.comparison_rows) == ("intervention", "comparison")
    rows = ChildRecord.objects.filter(partner__slug="westvale-police")
    assert not rows.filter(start_date__isnull=True).exists() and rows.filter(event_date__isnull=False).count() > 500
    design, results = _built_report("westvale-police")
    assert design == "time_to_event"
    primary = results["re_referrals_12m"]
    assert primary["primary"] and primary["conclusion"] == "improved"  # fewer referred again within a year
    assert primary["ci_low"] < WESTVALE_TRUE_EFFECT < primary["ci_high"] < 0
    survival = primary["time_to_event"]
    assert survival["horizon_days"] == 365 and survival["log_rank_p"] < 0.05
    groups = {g["group"]: g for g in survival["groups"]}
    assert set(groups) == {"intervention", "comparison"}
    for group in groups.values():
        # Shown, not suppressed: the children, their events, the median and a curve of several steps
        assert group["children"] == 900 and group["events"] is not None
        assert len(group["curve"]) > 5 and all(step["percent_with_event"] is not None for step in group["curve"])
    # No monthly cell is hidden, so nothing hides the curves.
    assert primary["cells"] and all(c["value"] is not None and c["numerator"] is not None for c in primary["cells"])
