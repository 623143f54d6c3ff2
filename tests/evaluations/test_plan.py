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
    # The partner submits it; the practice team asks for changes, with comments.
    assert "Submit version 1 for sign-off" in client.get(url).content.decode()
    client.post(url, {"action": "submit"})
    assert EvaluationPlan.objects.get().status == "submitted"
    practice = verified_client(Client(), practice_admin)
    review_url = reverse("evaluations:practice_plan_sign_off", args=[accepted.code])
    page = practice.get(reverse("evaluations:practice_evaluation", args=[accepted.code])).content.decode()
    assert "Awaiting sign-off" in page and "Send your decision on version 1" in page
    practice.post(review_url, {"decision": "request_changes", "comments": ""})
    assert EvaluationPlan.objects.get().status == "submitted"  # changes need comments
    practice.post(review_url, {"decision": "request_changes", "comments": "Name the comparison months."})
    assert EvaluationPlan.objects.get().status == "draft"
    page = client.get(url).content.decode()
    assert "Changes requested by" in page and "Name the comparison months." in page
    client.post(url, {"action": "submit"})
    practice.post(review_url, {"decision": "sign_off", "comments": "Thank you."})
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


def test_the_review_loop_notifies_both_sides_and_keeps_its_history(partner, lead, practice_admin, accepted):
    from evaluations.models import PlanReview
    from pine.models import Notification

    contributor = factories.MembershipFactory(partner=partner, role="contributor").user
    Notification.objects.all().delete()  # the decision that made the evaluation told the partner
    services.plan_save_draft(partner=partner, actor=lead, evaluation=accepted, **COMPLETE)
    plan = services.plan_submit(partner=partner, actor=lead, evaluation=accepted)
    assert plan.status == "submitted" and [p.pk for p in selectors.plans_awaiting_sign_off()] == [plan.pk]
    # The practice team hears a plan awaits sign-off, with a link to its page; the lead's
    # colleague that it went.
    to_admin = Notification.objects.get(recipient=practice_admin)
    assert to_admin.link == reverse("evaluations:practice_evaluation", args=[accepted.code])
    assert "submitted" in to_admin.subject and to_admin.link in to_admin.body
    assert Notification.objects.filter(recipient=contributor).count() == 1
    assert not Notification.objects.filter(recipient=lead).exists()
    with pytest.raises(ValidationError):
        services.plan_request_changes(actor=practice_admin, plan=plan, comments=" ")
    plan = services.plan_request_changes(actor=practice_admin, plan=plan, comments="Say how the months compare.")
    assert plan.status == "draft" and selectors.plans_awaiting_sign_off() == []
    asked = Notification.objects.get(recipient=lead)
    assert "Changes requested" in asked.subject and "Say how the months compare." in asked.body
    assert asked.link == reverse("evaluations:plan", args=[partner.slug, accepted.code])
    services.plan_submit(partner=partner, actor=lead, evaluation=accepted)
    services.plan_sign_off(actor=practice_admin, plan=plan, comments="Good.")
    assert Notification.objects.filter(recipient=lead, subject__contains="is signed off").count() == 1
    actions = list(PlanReview.objects.filter(plan=plan).values_list("action", flat=True))
    assert actions == ["submitted", "changes_requested", "submitted", "signed_off"]


def test_only_a_complete_draft_can_be_submitted_and_a_change_withdraws_it(partner, lead, accepted):
    services.plan_save_draft(partner=partner, actor=lead, evaluation=accepted, research_questions="Does it work?")
    with pytest.raises(ValidationError, match="cannot be submitted yet"):
        services.plan_submit(partner=partner, actor=lead, evaluation=accepted)
    services.plan_save_draft(partner=partner, actor=lead, evaluation=accepted, **COMPLETE)
    services.plan_submit(partner=partner, actor=lead, evaluation=accepted)
    # Changing a submitted plan takes it back from the practice team's queue.
    plan = services.plan_save_draft(partner=partner, actor=lead, evaluation=accepted, research_questions="Is it better?")
    assert plan.status == "draft" and selectors.plans_awaiting_sign_off() == []


def test_only_practice_admins_decide_on_a_plan(partner, lead, accepted):
    services.plan_save_draft(partner=partner, actor=lead, evaluation=accepted, **COMPLETE)
    plan = services.plan_submit(partner=partner, actor=lead, evaluation=accepted)
    analyst = factories.PracticeUserFactory(practice_role="analyst")
    with pytest.raises(Exception, match="Only the practice team's admins"):
        services.plan_request_changes(actor=analyst, plan=plan, comments="Change it.")


def test_sign_off_completes_the_plan_milestone_and_moves_later_ones_to_the_plan_windows(partner, lead, practice_admin, accepted):
    plan = services.plan_save_draft(partner=partner, actor=lead, evaluation=accepted, **COMPLETE)
    services.plan_sign_off(actor=practice_admin, plan=plan)
    due = {m.kind: m for m in Milestone.objects.filter(evaluation=accepted)}
    assert due["plan_sign_off"].status == "done"
    # Baseline ends 31 March 2025, follow-up runs April 2025 to March 2026.
    assert due["baseline_data"].due_on == date(2025, 4, 30)
    assert due["analysis"].due_on == date(2026, 4, 30) and due["final_report"].due_on == date(2026, 6, 30)
    assert date(2025, 10, 1) <= due["interim_data"].due_on <= date(2025, 11, 30)


def test_a_first_plan_starts_from_the_measures_chosen_in_the_application(client, lead, partner, accepted):
    accepted.application.outcome_measures = ["re_referrals_12m"]
    accepted.application.save(update_fields=["outcome_measures"])
    client.force_login(lead)
    page = client.get(reverse("evaluations:plan", args=[partner.slug, accepted.code])).content.decode()
    chosen, others = page.split("Add another measure from the library")
    # Re-referrals is chosen, expected to fall (lower is better), as the primary measure.
    assert "Re-referrals within 12 months" in chosen and '<option value="decrease" selected>' in chosen
    assert '<option value="primary" selected>' in chosen
    assert "Re-referrals within 12 months" not in others and "Not measured" in others
    assert selectors.plan_initial_measures(partner=partner, evaluation=accepted) == [
        {"code": "re_referrals_12m", "direction": "decrease", "role": "primary"}
    ]


def test_the_review_loop_through_the_api(lead, partner, practice_admin, accepted):
    api = token_client(lead)
    base = f"/api/v1/partners/{partner.slug}/evaluations/{accepted.code}/plan/"
    assert api.post(base + "submit/").status_code == 400  # no draft yet
    body = {k: str(v) if isinstance(v, date) else v for k, v in COMPLETE.items()}
    api.put(base, body, content_type="application/json")
    submitted = api.post(base + "submit/")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    admin = token_client(practice_admin)
    practice = f"/api/v1/practice/evaluations/{accepted.code}/plan/"
    assert admin.post(practice + "request-changes/", {}, content_type="application/json").status_code == 400
    sent_back = admin.post(practice + "request-changes/", {"comments": "Add a question."}, content_type="application/json")
    assert sent_back.status_code == 200 and sent_back.json()["status"] == "draft"
    api.post(base + "submit/")
    signed = admin.post(practice + "sign-off/", {"comments": "Thanks."}, content_type="application/json")
    assert signed.status_code == 200 and signed.json()["status"] == "signed_off"
    other = token_client(factories.MembershipFactory().user)
    assert other.post(f"/api/v1/partners/{partner.slug}/evaluations/{accepted.code}/plan/submit/").status_code == 404


def test_submitting_from_the_plan_form_saves_what_was_typed_before_submitting_it(client, lead, partner, accepted):
    """The submit button sits in the plan's form: an edit typed just before it is kept, not lost."""
    client.force_login(lead)
    url = reverse("evaluations:plan", args=[partner.slug, accepted.code])
    fields = {
        "research_questions": COMPLETE["research_questions"], "design": "its", "intervention_start": "2025-04-01",
        "baseline_start": "2023-04-01", "baseline_end": "2025-03-31", "follow_up_start": "2025-04-01",
        "follow_up_end": "2026-03-31", "expected_children_per_period": "180", "measure__re_referrals_12m": "decrease",
    }  # fmt: skip
    assert client.post(url, fields).status_code == 302
    page = client.get(url).content.decode()
    assert page.index('name="action" value="submit"') > page.index('name="research_questions"')  # in the form
    response = client.post(url, {**fields, "research_questions": "Typed, then submitted at once?", "action": "submit"})
    assert response.status_code == 302
    plan = EvaluationPlan.objects.get()
    assert (plan.status, plan.research_questions) == ("submitted", "Typed, then submitted at once?")
    assert "Plan saved and submitted to the practice team for sign-off." in client.get(url).content.decode()
