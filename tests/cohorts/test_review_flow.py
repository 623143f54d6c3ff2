"""The reviewer's path and the decisions that follow: the conflict page names the partnership's
agencies before declaring, an unopened assignment is "Not started", the review page puts the
application and the form side by side, submitting moves on to the next review, the reviewer lands
on their queue; a decision without reviews needs confirming, the panel shows reviews outstanding,
and the waiting-list email is true to the numbers."""

import pytest
from django.core import mail
from django.urls import reverse

from cohorts.models import Application, Cohort, ReviewAssignment
from cohorts.services import decisions
from pine.models import AgencyType
from tests import factories
from tests.cohorts.helpers import practice_page_client
from tests.cohorts.review_helpers import add_rubric, make_reviewed_cohort

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort():
    cohort = factories.CohortFactory(status=Cohort.Status.REVIEWING, name="Round 9", slug="round-9")
    add_rubric(cohort)
    return cohort


@pytest.fixture
def reviewer():
    return factories.ReviewerFactory(full_name="Rita Reviewer")


def _eligible(cohort, title, partner_name="Northmoor Borough Council"):
    partner = factories.PartnerFactory(name=partner_name)
    factories.PartnerAgencyFactory(
        partner=partner, name=f"{partner_name} children's services", agency_type=AgencyType.LOCAL_AUTHORITY, is_lead=True
    )
    factories.PartnerAgencyFactory(partner=partner, name="Kestrel Valley Constabulary", agency_type=AgencyType.POLICE)
    return factories.CompleteApplicationFactory(
        partner=partner, cohort=cohort, status=Application.Status.ELIGIBLE, practice_title=title
    )


def _assign(application, reviewer, conflict=ReviewAssignment.Conflict.UNDECLARED):
    return factories.ReviewAssignmentFactory(application=application, reviewer=reviewer, conflict=conflict)


def _scores(cohort, score=3):
    return {f"criterion_{c.pk}": str(score) for c in cohort.criteria.all()}


# --- the conflict-of-interest page and the labels ----------------------------------------------------


def test_the_conflict_page_lists_the_agencies_with_their_types_before_declaring(cohort, reviewer):
    assignment = _assign(_eligible(cohort, "Family hubs"), reviewer)
    html = practice_page_client(reviewer).get(reverse("cohorts:review_conflict", args=[assignment.code])).content.decode()
    assert "Northmoor Borough Council" in html
    assert "Kestrel Valley Constabulary" in html and "(Police)" in html
    assert "Local authority children&#x27;s services, lead agency" in html


def test_under_blind_review_the_conflict_page_names_nobody(cohort, reviewer):
    cohort.blind_review = True
    cohort.save()
    assignment = _assign(_eligible(cohort, "Family hubs"), reviewer)
    html = practice_page_client(reviewer).get(reverse("cohorts:review_conflict", args=[assignment.code])).content.decode()
    assert "Northmoor" not in html and "Kestrel" not in html
    assert "you will not be told who applied" in html


def test_an_unopened_assignment_is_not_started(cohort, reviewer, practice_admin):
    _assign(_eligible(cohort, "Family hubs"), reviewer)
    mine = practice_page_client(reviewer).get(reverse("cohorts:review_list")).content.decode()
    assert "Not started" in mine and "Conflict not yet declared" not in mine
    admin = practice_page_client(practice_admin).get(reverse("cohorts:practice_assignments", args=[cohort.slug])).content.decode()
    assert "Not started" in admin and "Conflict not yet declared" not in admin


# --- the review page and the queue ---------------------------------------------------------------------


def test_the_review_page_puts_the_application_beside_the_form(cohort, reviewer):
    assignment = _assign(_eligible(cohort, "Family hubs"), reviewer, ReviewAssignment.Conflict.NONE)
    html = practice_page_client(reviewer).get(reverse("cohorts:review_detail", args=[assignment.code])).content.decode()
    application_column = html.index('class="govuk-grid-column-one-half-from-desktop" id="the-application"')
    form_column = html.index('class="pine-review-panel"')
    assert application_column < html.index("The application") < form_column < html.index("Submit your review")


def test_submitting_moves_on_to_the_next_review_then_back_to_the_list(cohort, reviewer):
    first = _assign(_eligible(cohort, "Family hubs", "Alpha Council"), reviewer, ReviewAssignment.Conflict.NONE)
    second = _assign(_eligible(cohort, "Front door", "Beta Council"), reviewer)  # not yet opened
    client = practice_page_client(reviewer)
    response = client.post(reverse("cohorts:review_detail", args=[first.code]), {**_scores(cohort), "action": "submit"})
    assert response.url == reverse("cohorts:review_conflict", args=[second.code])  # the next one, through its gate
    second.conflict = ReviewAssignment.Conflict.NONE
    second.save()
    response = client.post(reverse("cohorts:review_detail", args=[second.code]), {**_scores(cohort), "action": "submit"})
    assert response.url == reverse("cohorts:review_list")
    page = client.get(response.url).content.decode()
    assert "That was your last review to do" in page and "0 to do · 2 submitted" in page


def test_the_reviewers_landing_page_is_their_queue_with_the_next_review(cohort, reviewer):
    done = _assign(_eligible(cohort, "Family hubs", "Alpha Council"), reviewer, ReviewAssignment.Conflict.NONE)
    factories.ReviewFactory(assignment=done, status="submitted")
    nxt = _assign(_eligible(cohort, "Front door", "Beta Council"), reviewer)
    client = practice_page_client(reviewer)
    assert client.get(reverse("home")).url == reverse("cohorts:review_list")
    html = client.get(reverse("cohorts:review_list")).content.decode()
    assert "1 to do · 1 submitted" in html
    assert f'href="{reverse("cohorts:review_conflict", args=[nxt.code])}" role="button"' in html
    assert "Start your next review" in html


def test_a_practice_admin_still_lands_on_the_practice_home(practice_admin):
    assert practice_page_client(practice_admin).get(reverse("home")).url == reverse("practice_home")


# --- decisions -----------------------------------------------------------------------------------------


def test_a_decision_without_submitted_reviews_needs_confirming(cohort, reviewer, practice_admin):
    application = _eligible(cohort, "Family hubs")
    _assign(application, reviewer, ReviewAssignment.Conflict.NONE)
    client = practice_page_client(practice_admin)
    url = reverse("cohorts:practice_decision", args=[cohort.slug, application.code])
    page = client.get(url).content.decode()
    assert "No reviewer has submitted a review of this application: 1 review is outstanding" in page
    response = client.post(url, {"decision": "accept"})
    assert response.status_code == 200 and "Confirm you want to decide it without reviews" in response.content.decode()
    application.refresh_from_db()
    assert application.pending_decision == ""
    assert client.post(url, {"decision": "accept", "confirm_without_reviews": "on"}).status_code == 302
    application.refresh_from_db()
    assert application.pending_decision == "accept"


def test_the_decision_form_asks_only_the_confirmations_the_decision_needs(cohort, reviewer, practice_admin):
    """A box to confirm deciding without reviews is offered only while no review is submitted, and a
    box to accept beyond the capacity only while the places are all taken: an unneeded box asks the
    admin a question that does not apply."""
    client = practice_page_client(practice_admin)
    reviewed = _eligible(cohort, "Family hubs")
    _assign(reviewed, reviewer, ReviewAssignment.Conflict.NONE)
    factories.ReviewFactory(assignment=reviewed.assignments.get(), application=reviewed, status="submitted")
    page = client.get(reverse("cohorts:practice_decision", args=[cohort.slug, reviewed.code])).content.decode()
    assert "1 review submitted" in page
    assert 'name="confirm_without_reviews"' not in page and 'name="confirm_over_capacity"' not in page

    unreviewed = _eligible(cohort, "Edge of care", partner_name="Southmoor Council")
    page = client.get(reverse("cohorts:practice_decision", args=[cohort.slug, unreviewed.code])).content.decode()
    assert 'name="confirm_without_reviews"' in page and 'name="confirm_over_capacity"' not in page

    decisions.decision_record(actor=practice_admin, application=reviewed, decision="accept")  # the one place
    cohort.capacity = 1
    cohort.save(update_fields=["capacity"])
    page = client.get(reverse("cohorts:practice_decision", args=[cohort.slug, unreviewed.code])).content.decode()
    assert 'name="confirm_over_capacity"' in page and "would make 2 of 1 place taken" in page
    refused = client.post(
        reverse("cohorts:practice_decision", args=[cohort.slug, unreviewed.code]),
        {"decision": "accept", "confirm_without_reviews": "on"},
    ).content.decode()
    assert "Round 9 has 1 place: 0 accepted and 1 pending" in refused


def test_an_ineligible_application_is_declined_without_reviews(cohort, practice_admin):
    application = factories.CompleteApplicationFactory(cohort=cohort, status=Application.Status.INELIGIBLE)
    decided = decisions.decision_record(actor=practice_admin, application=application, decision="decline")
    assert decided.pending_decision == "decline"


def test_the_panel_shows_reviews_outstanding(practice_admin):
    cohort, applications, _ = make_reviewed_cohort(n_applications=2, reviewers=1)
    _assign(applications[0], factories.ReviewerFactory(), ReviewAssignment.Conflict.NONE)
    html = practice_page_client(practice_admin).get(reverse("cohorts:practice_panel", args=[cohort.slug])).content.decode()
    assert html.count("1 review outstanding") == 1


@pytest.mark.parametrize(
    ("capacity", "accepted", "says", "never"),
    [
        (9, 1, "1 of the cohort's 9 places has been offered so far", "All 9"),
        (1, 1, "The cohort's one place has been offered", "All 1"),
    ],
)
def test_the_waiting_list_email_is_true_to_the_places(
    practice_admin, capacity, accepted, says, never, django_capture_on_commit_callbacks
):
    cohort, applications, _ = make_reviewed_cohort(n_applications=2, reviewers=1, capacity=capacity)
    for application in applications:
        factories.MembershipFactory(partner=application.partner, role="lead")
    decisions.decision_record(actor=practice_admin, application=applications[0], decision="accept")
    decisions.decision_record(actor=practice_admin, application=applications[1], decision="waiting_list")
    with django_capture_on_commit_callbacks(execute=True):
        decisions.decisions_release(actor=practice_admin, cohort=cohort)
    (email,) = [m for m in mail.outbox if "waiting list" in m.body]
    assert says in email.body and never not in email.body
