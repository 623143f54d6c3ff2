"""The evaluation plan: drafts, practice-team sign-off that locks a version, new versions with a
reason, and comparing versions — by page and API."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from evaluations import selectors, services
from evaluations.models import EvaluationPlan, Milestone
from tests import factories
from tests.conftest import token_client, verified_client

pytestmark = pytest.mark.django_db

COMPLETE = {
    "research_questions": "Does family group conferencing reduce re-referrals?",
    "design": "its",
    "intervention_start": date(2025, 4, 1),
    "baseline_start": date(2023, 4, 1),
    "baseline_end": date(2025, 3, 31),
    "follow_up_start": date(2025, 4, 1),
    "follow_up_end": date(2026, 3, 31),
    "measures": [{"code": "re_referrals_12m", "direction": "decrease"}],
    "expected_children_per_period": 180,
}


def test_a_draft_is_saved_and_edited_in_place(partner, lead, accepted):
    plan = services.plan_save_draft(partner=partner, actor=lead, evaluation=accepted, research_questions="Q1")
    again = services.plan_save_draft(partner=partner, actor=lead, evaluation=accepted, research_questions="Q2")
    assert plan.pk == again.pk and again.version == 1 and again.research_questions == "Q2"


def test_an_incomplete_plan_cannot_be_signed_off(partner, lead, practice_admin, accepted):
    plan = services.plan_save_draft(partner=partner, actor=lead, evaluation=accepted, design="did", research_questions="Q")
    with pytest.raises(ValidationError, match="intervention start date.*comparison group"):
        services.plan_sign_off(actor=practice_admin, plan=plan)


def test_sign_off_locks_the_version_and_a_change_needs_a_new_version_with_a_reason(partner, lead, practice_admin, accepted):
    plan = services.plan_save_draft(partner=partner, actor=lead, evaluation=accepted, **COMPLETE)
    services.plan_sign_off(actor=practice_admin, plan=plan)
    assert Milestone.objects.get(evaluation=accepted, kind="plan_sign_off").status == "done"
    with pytest.raises(ValidationError, match="signed off and locked"):
        services.plan_save_draft(partner=partner, actor=lead, evaluation=accepted, research_questions="changed")
    with pytest.raises(ValidationError):
        services.plan_new_version(partner=partner, actor=lead, evaluation=accepted, reason="  ")
    v2 = services.plan_new_version(partner=partner, actor=lead, evaluation=accepted, reason="Comparison area added")
    assert (v2.version, v2.status, v2.research_questions) == (2, "draft", COMPLETE["research_questions"])
    services.plan_save_draft(partner=partner, actor=lead, evaluation=accepted, design="did", comparison_group="Southbrook")
    with pytest.raises(ValidationError, match="edit the draft"):
        services.plan_new_version(partner=partner, actor=lead, evaluation=accepted, reason="again")
    rows = {
        r["field"]: r
        for r in selectors.plan_comparison(EvaluationPlan.objects.get(version=1), v2.__class__.objects.get(version=2))
    }
    assert rows["design"]["changed"] and rows["design"]["old"] == "Interrupted time series"
    assert rows["comparison_group"]["new"] == "Southbrook" and not rows["research_questions"]["changed"]
    assert EvaluationPlan.objects.get(version=1).status == "signed_off"  # the signed-off version is untouched


def test_the_plan_pages_walk_from_draft_to_sign_off_to_comparison(client, lead, partner, practice_admin, accepted):
    client.force_login(lead)
    url = reverse("evaluations:plan", args=[partner.slug, accepted.code])
    response = client.post(url, {
        "research_questions": COMPLETE["research_questions"], "design": "its", "intervention_start": "2025-04-01",
        "baseline_start": "2023-04-01", "baseline_end": "2025-03-31", "follow_up_start": "2025-04-01",
        "follow_up_end": "2026-03-31", "expected_children_per_period": "180", "measure__re_referrals_12m": "decrease",
    })  # fmt: skip
    assert response.status_code == 302
    plan = EvaluationPlan.objects.get()
    # No role chosen: the one measure is the primary one.
    assert plan.measures == [{"code": "re_referrals_12m", "direction": "decrease", "role": "primary"}]
    practice = verified_client(Client(), practice_admin)
    page = practice.get(reverse("evaluations:practice_evaluation", args=[accepted.code])).content.decode()
    assert "Sign off version 1" in page
    practice.post(reverse("evaluations:practice_plan_sign_off", args=[accepted.code]))
    page = client.get(url).content.decode()
    assert (
        "Signed off" in page
        and "Start a new version" in page
        and "Re-referrals within 12 months (primary): expect a decrease" in page
    )
    assert "There is a problem" in client.post(url, {"reason": ""}).content.decode()
    client.post(url, {"reason": "A comparison area joined"})
    compare = client.get(reverse("evaluations:plan_compare", args=[partner.slug, accepted.code])).content.decode()
    assert "Version 1 and version 2" in compare and "A comparison area joined" in compare


def test_bad_plan_input_shows_errors(client, lead, partner, accepted):
    client.force_login(lead)
    url = reverse("evaluations:plan", args=[partner.slug, accepted.code])
    page = client.post(url, {"baseline_start": "2025-01-01", "baseline_end": "2024-01-01"}).content.decode()
    assert "The baseline period must end after it starts" in page
    assert not EvaluationPlan.objects.exists()


def test_only_practice_admins_sign_off(client, partner, lead, accepted):
    services.plan_save_draft(partner=partner, actor=lead, evaluation=accepted, **COMPLETE)
    reviewer = verified_client(Client(), factories.PracticeUserFactory(practice_role="reviewer"))
    assert reviewer.post(reverse("evaluations:practice_plan_sign_off", args=[accepted.code])).status_code == 403
    client.force_login(lead)
    assert client.post(reverse("evaluations:practice_plan_sign_off", args=[accepted.code])).status_code == 404
    assert EvaluationPlan.objects.get().status == "draft"


def test_the_plan_through_the_api(lead, partner, practice_admin, accepted):
    api = token_client(lead)
    base = f"/api/v1/partners/{partner.slug}/evaluations/{accepted.code}/plan/"
    assert api.get(base).status_code == 404
    body = {**{k: str(v) if isinstance(v, date) else v for k, v in COMPLETE.items()}}
    saved = api.put(base, body, content_type="application/json")
    assert saved.status_code == 200 and saved.json()["missing_for_sign_off"] == []
    bad = api.put(base, {"measures": [{"code": "nope", "direction": "decrease"}]}, content_type="application/json")
    assert bad.status_code == 400 and "Unknown measure codes: nope" in str(bad.json())
    admin = token_client(practice_admin)
    signed = admin.post(f"/api/v1/practice/evaluations/{accepted.code}/plan/sign-off/")
    assert signed.status_code == 200 and signed.json()["status"] == "signed_off"
    assert api.put(base, body, content_type="application/json").status_code == 400
    created = api.post(base + "versions/", {"reason": "New area"}, content_type="application/json")
    assert created.status_code == 201 and created.json()["version"] == 2
    assert [v["version"] for v in api.get(base + "versions/").json()["results"]] == [2, 1]


def test_the_other_partner_gets_404_for_the_plan(client, lead, partner, accepted, other_lead, other_partner):
    services.plan_save_draft(partner=partner, actor=lead, evaluation=accepted, **COMPLETE)
    client.force_login(other_lead)
    assert client.get(reverse("evaluations:plan", args=[other_partner.slug, accepted.code])).status_code == 404
    assert client.get(reverse("evaluations:plan", args=[partner.slug, accepted.code])).status_code == 404
    assert client.get(reverse("evaluations:plan_compare", args=[other_partner.slug, accepted.code])).status_code == 404
    api = token_client(other_lead)
    assert api.get(f"/api/v1/partners/{other_partner.slug}/evaluations/{accepted.code}/plan/").status_code == 404
    assert api.get(f"/api/v1/partners/{other_partner.slug}/evaluations/{accepted.code}/plan/versions/").status_code == 404


def test_each_measure_has_a_role_and_sign_off_needs_a_primary_one(partner, lead, practice_admin, accepted):
    content = {
        **COMPLETE,
        "measures": [
            {"code": "re_referrals_12m", "direction": "decrease", "role": "secondary"},
            {"code": "repeat_cp_plans", "direction": "decrease", "role": "secondary"},
        ],
    }
    plan = services.plan_save_draft(partner=partner, actor=lead, evaluation=accepted, **content)
    assert plan.primary_measures() == []
    with pytest.raises(ValidationError, match="a primary measure"):
        services.plan_sign_off(actor=practice_admin, plan=plan)
    content["measures"][1]["role"] = "primary"
    plan = services.plan_save_draft(partner=partner, actor=lead, evaluation=accepted, **content)
    assert plan.primary_measures() == ["repeat_cp_plans"]
    services.plan_sign_off(actor=practice_admin, plan=plan)


def test_the_plan_page_saves_each_measure_role_and_the_rows_compared(client, lead, partner, accepted):
    client.force_login(lead)
    url = reverse("evaluations:plan", args=[partner.slug, accepted.code])
    response = client.post(url, {
        "design": "did", "intervention_rows": "intervention", "comparison_rows": "comparison",
        "measure__re_referrals_12m": "decrease", "role__re_referrals_12m": "secondary",
        "measure__repeat_cp_plans": "decrease", "role__repeat_cp_plans": "primary",
    })  # fmt: skip
    assert response.status_code == 302
    plan = EvaluationPlan.objects.get()
    assert plan.measure_roles() == {"re_referrals_12m": "secondary", "repeat_cp_plans": "primary"}
    assert (plan.intervention_rows, plan.comparison_rows) == ("intervention", "comparison")
    page = client.get(url).content.decode()
    assert 'name="role__repeat_cp_plans"' in page


def test_a_plan_saved_before_roles_reads_its_first_measure_as_primary(partner, lead, accepted):
    plan = services.plan_save_draft(partner=partner, actor=lead, evaluation=accepted, **COMPLETE)
    EvaluationPlan.objects.filter(pk=plan.pk).update(
        measures=[{"code": "re_referrals_12m", "direction": "decrease"}, {"code": "repeat_cp_plans", "direction": "increase"}]
    )
    plan.refresh_from_db()
    assert plan.measure_roles() == {"re_referrals_12m": "primary", "repeat_cp_plans": "secondary"}


def test_a_time_to_event_plan_needs_measures_with_child_rows_and_a_comparison(partner, lead, practice_admin, accepted):
    """Time to event reads child-level rows (start and event dates) and compares two groups: a rate
    per 10,000 children (aggregates only) cannot be analysed so, and sign-off says so."""
    content = {
        **COMPLETE,
        "design": "time_to_event",
        "measures": [
            {"code": "re_referrals_12m", "direction": "decrease", "role": "primary"},
            {"code": "cp_plans_rate", "direction": "decrease", "role": "secondary"},
        ],
    }
    plan = services.plan_save_draft(partner=partner, actor=lead, evaluation=accepted, **content)
    assert plan.horizon_days == 365  # the default
    with pytest.raises(ValidationError, match="child-level rows for a time-to-event design.*aggregates only.*comparison"):
        services.plan_sign_off(actor=practice_admin, plan=plan)
    plan = services.plan_save_draft(
        partner=partner,
        actor=lead,
        evaluation=accepted,
        measures=content["measures"][:1],
        comparison_group="Two other districts",
        horizon_days=180,
    )
    services.plan_sign_off(actor=practice_admin, plan=plan)
    plan.refresh_from_db()
    assert (plan.status, plan.design, plan.horizon_days) == ("signed_off", "time_to_event", 180)
    assert ("Time to event: horizon in days", "180") in selectors.plan_summary(plan)
