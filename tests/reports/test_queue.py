"""The practice team's work queue (/practice/queue/ and its API): every list of what waits for
their action, each item linking to it; reviewers see only their own reviews; the number of
queries does not grow with the number of partners."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Application, CallEnquiry
from evaluations.models import EvaluationPlan
from evaluations.services import onboarding_agreement_verify, onboarding_update
from outcomes import approval_services
from outcomes.models import Submission
from reports.queues import work_queue
from tests import factories
from tests.conftest import token_client, verified_client

pytestmark = pytest.mark.django_db

URL = "/practice/queue/"
API = "/api/v1/practice/queue/"


@pytest.fixture
def analyst():
    return factories.PracticeUserFactory(email="analyst@pine.example", practice_role="analyst")


@pytest.fixture
def reviewer():
    return factories.ReviewerFactory(email="reviewer@pine.example", full_name="Rita Reviewer")


def partner_items(number: int, reviewer, *, blind: bool = False):
    """One partner with an item in every list: an application to screen, an answer to a request
    for more information, a review outstanding, a plan ready to sign off, an upload waiting for an
    explanation, a period to approve and an agreement to verify (the evaluation factory records one)."""
    partner = factories.PartnerFactory(name=f"Partner {number}", slug=f"partner-{number}")
    screen = factories.ApplicationFactory(partner=partner, practice_title=f"To screen {number}")
    CallEnquiry.objects.create(
        cohort=screen.cohort, partner=partner, name="Sam Patel", email="sam@partner.example", body="Can we discuss?"
    )
    factories.ApplicationFactory(
        partner=partner, practice_title=f"Answered {number}", information_requested_at=timezone.now() - timedelta(days=3)
    )
    assignment = factories.ReviewAssignmentFactory(
        reviewer=reviewer,
        application__partner=partner,
        application__practice_title=f"To review {number}",
        application__cohort__blind_review=blind,
        application__cohort__review_ends_at=timezone.now() + timedelta(days=10),
        conflict="none",
    )
    evaluation = factories.EvaluationFactory(
        application__partner=partner, application__practice_title=f"Evaluation {number}", onboarding__dsa_verified_at=None
    )
    EvaluationPlan.objects.create(
        partner=partner,
        evaluation=evaluation,
        version=1,
        status="submitted",
        research_questions="Does it work?",
        design="pre_post",
        intervention_start=date(2025, 4, 1),
        baseline_start=date(2024, 4, 1),
        baseline_end=date(2025, 3, 31),
        follow_up_start=date(2025, 4, 1),
        follow_up_end=date(2026, 3, 31),
        measures=[{"code": "re_referrals_12m", "direction": "decrease"}],
        created_by=factories.UserFactory(),
    )
    factories.SubmissionFactory(
        evaluation=evaluation, status=Submission.Status.NEEDS_EXPLANATION, warnings=[{"reason": "Very different."}]
    )
    factories.OutcomeValueFactory(submission__evaluation=evaluation)
    return partner, evaluation, assignment


def counts(sections) -> dict[str, int]:
    return {s.key: s.count for s in sections}


def test_admins_and_analysts_see_every_list_with_links_to_the_actions(client, analyst, reviewer):
    partner, evaluation, assignment = partner_items(1, reviewer)
    sections = work_queue(user=analyst)
    assert counts(sections) == {
        "applications": 1, "responses": 1, "enquiries": 1, "reviews": 1, "plans": 1, "uploads": 1, "periods": 1,
        "agreements": 1,
    }  # fmt: skip
    by_key = {s.key: s.items[0] for s in sections}
    screen = Application.objects.get(practice_title="To screen 1")
    assert by_key["applications"].link == reverse("cohorts:practice_application", args=[screen.code])
    assert by_key["reviews"].who == "Rita Reviewer" and by_key["reviews"].due is not None
    assert by_key["periods"].link == reverse("outcomes:practice_periods", args=[evaluation.code])
    assert by_key["agreements"].link == reverse("evaluations:practice_agreement", args=[evaluation.code])
    page = verified_client(client, analyst).get(URL).content.decode()
    assert "Work queue" in page and "To screen 1" in page and "Rita Reviewer" in page and 'href="#periods"' in page


def test_items_leave_the_queue_once_acted_on(analyst, practice_admin, reviewer):
    partner, evaluation, _ = partner_items(1, reviewer)
    approval_services.periods_approve(actor=analyst, evaluation=evaluation, period_starts=[date(2025, 4, 1)])
    onboarding_agreement_verify(actor=analyst, evaluation=evaluation)
    plan = EvaluationPlan.objects.get(evaluation=evaluation)
    plan.status, plan.signed_off_by, plan.signed_off_at = "signed_off", practice_admin, timezone.now()
    plan.save()
    assert {k: v for k, v in counts(work_queue(user=analyst)).items() if k in ("periods", "agreements", "plans")} == {
        "periods": 0,
        "agreements": 0,
        "plans": 0,
    }
    # A new agreement file waits for verification again.
    onboarding_update(partner=partner, actor=factories.UserFactory(), evaluation=evaluation, dsa_file=("new.pdf", b"%PDF"))
    assert counts(work_queue(user=analyst))["agreements"] == 1


def test_a_period_sent_back_with_a_query_waits_for_the_partner_not_for_approval(analyst, reviewer):
    _, evaluation, _ = partner_items(1, reviewer)
    approval_services.period_query_send(actor=analyst, evaluation=evaluation, period_start=date(2025, 4, 1), question="?")
    assert counts(work_queue(user=analyst))["periods"] == 0


def test_reviewers_see_only_their_own_reviews_and_blind_ones_without_the_partner(client, reviewer, analyst):
    partner_items(1, reviewer, blind=True)
    partner_items(2, factories.ReviewerFactory(email="other@pine.example"))
    (section,) = work_queue(user=reviewer)
    assert section.key == "reviews" and section.count == 1
    item = section.items[0]
    assert item.partner == "" and "Partner 1" not in item.title and "To review" not in item.title
    assert item.link.startswith("/practice/reviews/")
    page = verified_client(client, reviewer).get(URL).content.decode()
    assert "Your reviews outstanding" in page and "Partner 1" not in page and "To screen" not in page
    body = token_client(reviewer).get(API).json()
    assert body["total"] == 1 and [s["key"] for s in body["sections"]] == ["reviews"]
    assert counts(work_queue(user=analyst))["reviews"] == 2


def test_the_api_returns_the_same_items_and_counts_as_the_page(analyst, reviewer):
    partner_items(1, reviewer)
    body = token_client(analyst).get(API).json()
    assert body["total"] == 8
    assert {s["key"]: s["count"] for s in body["sections"]} == counts(work_queue(user=analyst))
    periods = next(s for s in body["sections"] if s["key"] == "periods")
    assert periods["items"][0]["link"].startswith("/practice/evaluations/") and periods["items"][0]["partner"] == "Partner 1"


def test_partners_and_strangers_get_404(client, lead, partner):
    client.force_login(lead)
    assert client.get(URL).status_code == 404
    assert token_client(lead).get(API).status_code == 404


def test_the_number_of_queries_does_not_grow_with_the_number_of_partners(client, analyst, reviewer):
    client = verified_client(client, analyst)
    partner_items(1, reviewer)
    partner_items(2, reviewer)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    with CaptureQueriesContext(connection) as few_api:
        token_client(analyst).get(API)
    for number in range(3, 9):
        partner_items(number, reviewer)
    with CaptureQueriesContext(connection) as many:
        page = client.get(URL).content.decode()
    assert "Partner 8" in page
    with CaptureQueriesContext(connection) as many_api:
        assert token_client(analyst).get(API).json()["total"] == 8 * 8
    assert len(many) == len(few)
    assert len(many_api) == len(few_api)


def test_the_practice_team_verifies_an_agreement_from_its_page(client, analyst, reviewer, evaluation):
    from evaluations.models import Onboarding
    from pine.models import AuditEvent

    Onboarding.objects.filter(evaluation=evaluation).update(dsa_verified_at=None)  # recorded, not yet checked
    url = reverse("evaluations:practice_agreement", args=[evaluation.code])
    assert verified_client(client, reviewer).get(url).status_code == 403
    client = verified_client(client, analyst)
    page = client.get(url).content.decode()
    assert "data-sharing-agreement.pdf" in page and "Not verified" in page
    # The file opens through the audited download.
    assert reverse("reports:practice_evaluation_agreement", args=[evaluation.code]) in page
    assert client.get(reverse("evaluations:practice_agreement_document", args=[evaluation.code])).content == b"%PDF-1.4 signed"
    assert client.post(url).status_code == 302
    page = client.get(url).content.decode()
    assert "Not verified" not in page and "Mark the agreement as verified" not in page
    assert AuditEvent.objects.filter(action="onboarding.verify_agreement", partner=evaluation.partner).count() == 1
    import uuid

    assert client.get(reverse("evaluations:practice_agreement", args=[uuid.uuid4()])).status_code == 404


def test_periods_awaiting_approval_counts_each_evaluations_periods_once(analyst, reviewer):
    """Several values a period, superseded values, approved and queried periods, across evaluations."""
    from outcomes.approval_selectors import periods_awaiting_approval

    def values(evaluation, *months, group="intervention", is_current=True):
        submission = factories.SubmissionFactory(evaluation=evaluation)
        for m in months:
            start = date(2025, m, 1)
            end = (start + timedelta(days=31)).replace(day=1) - timedelta(days=1)
            factories.OutcomeValueFactory(
                submission=submission, period_start=start, period_end=end, group=group, is_current=is_current
            )

    _, first, _ = partner_items(1, reviewer)  # April, from the helper
    values(first, 1, 2, 3, 5)
    values(first, 1, 2, group="comparison")
    values(first, 6, is_current=False)  # superseded: not data that waits
    approval_services.periods_approve(actor=analyst, evaluation=first, period_starts=[date(2025, 2, 1)])
    approval_services.period_query_send(actor=analyst, evaluation=first, period_start=date(2025, 3, 1), question="?")
    _, second, _ = partner_items(2, reviewer)
    values(second, 7, 8)
    _, third, _ = partner_items(3, reviewer)
    approval_services.periods_approve(actor=analyst, evaluation=third, period_starts=[date(2025, 4, 1)])

    found = {row["evaluation"].pk: (row["waiting"], row["queried"], row["first"]) for row in periods_awaiting_approval()}
    assert found == {
        first.pk: (3, 1, date(2025, 1, 1)),  # January, April, May waiting; March queried; February approved
        second.pk: (3, 0, date(2025, 4, 1)),  # April, July, August
    }
