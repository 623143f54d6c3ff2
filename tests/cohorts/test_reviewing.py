"""Reviewing: the conflict-of-interest gate, scoring on the rubric (drafts, submission), the
stage rule, independence of reviews, blind review, and who can reach what (pages and API)."""

import re
import uuid

import pytest
from django.core import mail
from django.urls import reverse

from cohorts.models import Application, Cohort, Review, ReviewAssignment
from cohorts.selectors import reviews as selectors
from cohorts.services import reviews as services
from pine.models import Notification
from tests import factories
from tests.cohorts.helpers import api_client, page_client, practice_page_client
from tests.cohorts.review_helpers import add_rubric, make_reviewed_cohort

pytestmark = pytest.mark.django_db

PARTNER_NAME = "Northmoor Borough Council"
AGENCY = "Kestrel Valley Constabulary"
SPONSOR = "Dr Alexandra Quibblesworth, Director of Children's Services"


@pytest.fixture
def cohort():
    cohort = factories.CohortFactory(status=Cohort.Status.REVIEWING, name="Round 8", slug="round-8")
    add_rubric(cohort)
    return cohort


@pytest.fixture
def application(cohort):
    partner = factories.PartnerFactory(name=PARTNER_NAME, slug="northmoor", la_code="887", region="north_west")
    factories.PartnerAgencyFactory(partner=partner, name=AGENCY)
    factories.MembershipFactory(partner=partner, role="lead")
    return factories.CompleteApplicationFactory(
        partner=partner,
        cohort=cohort,
        status=Application.Status.ELIGIBLE,
        practice_title="Northmoor family hubs",
        practice_summary=f"Family hubs across Northmoor, run with {AGENCY}.",
        senior_sponsor=SPONSOR,
    )


@pytest.fixture
def reviewer():
    return factories.ReviewerFactory(full_name="Rita Reviewer")


@pytest.fixture
def assignment(application, reviewer):
    return factories.ReviewAssignmentFactory(application=application, reviewer=reviewer)


@pytest.fixture
def cleared(assignment):
    """The reviewer has declared no conflict."""
    assignment.conflict = ReviewAssignment.Conflict.NONE
    assignment.save()
    return assignment


def detail(assignment):
    return reverse("cohorts:review_detail", args=[assignment.code])


def api_detail(assignment):
    return reverse("cohorts_api:api_review", args=[assignment.code])


def all_scores(cohort, score=3):
    return {f"criterion_{c.pk}": str(score) for c in cohort.criteria.all()}


def finish(assignment, *, score=3, comments="Good work."):
    cohort = assignment.application.cohort
    scores = [services.ScoreInput(criterion=c, score=score) for c in cohort.criteria.all()]
    return services.review_submit(actor=assignment.reviewer, assignment=assignment, scores=scores, comments=comments)


# --- the conflict-of-interest gate -----------------------------------------------------------------


def test_opening_an_assignment_first_asks_about_a_conflict(assignment, reviewer):
    client = practice_page_client(reviewer)
    response = client.get(detail(assignment))
    assert response.status_code == 302 and response.url == reverse("cohorts:review_conflict", args=[assignment.code])
    html = client.get(response.url).content.decode()
    assert "Do you have a conflict of interest with this application?" in html
    assert "Family hubs" not in html  # nothing of the application yet
    response = api_client(reviewer).get(api_detail(assignment))
    assert response.status_code == 403 and "conflict of interest" in response.json()["detail"]


def test_declaring_no_conflict_opens_the_application_and_the_form(assignment, reviewer):
    client = practice_page_client(reviewer)
    response = client.post(reverse("cohorts:review_conflict", args=[assignment.code]), {"conflict": "no"})
    assert response.status_code == 302 and response.url == detail(assignment)
    html = client.get(detail(assignment)).content.decode()
    assert "Family hubs" in html and "Submit your review" in html
    assert "4 – Strong" in html and "Strong: what a 4 means." in html  # radios with the descriptors as hints
    assert client.get(reverse("cohorts:review_conflict", args=[assignment.code])).status_code == 302


def test_a_conflict_needs_details(assignment, reviewer):
    response = practice_page_client(reviewer).post(
        reverse("cohorts:review_conflict", args=[assignment.code]), {"conflict": "yes"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in html and "Describe the conflict of interest" in html
    response = practice_page_client(reviewer).post(reverse("cohorts:review_conflict", args=[assignment.code]), {})
    assert "Select yes if you have a conflict of interest" in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.conflict == "undeclared"


def test_declaring_a_conflict_ends_the_assignment_blocks_access_and_tells_the_admins(
    assignment, reviewer, practice_admin, django_capture_on_commit_callbacks
):
    client = practice_page_client(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("cohorts:review_conflict", args=[assignment.code]), {"conflict": "yes", "details": "I sit on their board"}
        )
    assert response.status_code == 302 and response.url == reverse("cohorts:review_list")
    assignment.refresh_from_db()
    assert assignment.conflict == "declared" and assignment.conflict_details == "I sit on their board"
    # No longer reachable: the same 404 as a missing assignment, by page and API.
    for url in (detail(assignment), reverse("cohorts:review_conflict", args=[assignment.code])):
        assert client.get(url).status_code == 404
    assert api_client(reviewer).get(api_detail(assignment)).status_code == 404
    assert api_client(reviewer).post(reverse("cohorts_api:api_review_conflict", args=[assignment.code])).status_code == 404
    assert "Northmoor family hubs" not in client.get(reverse("cohorts:review_list")).content.decode()
    note = Notification.objects.get(recipient=practice_admin)
    assert "Rita Reviewer" in note.subject and "I sit on their board" in note.body
    assert note.link == reverse("cohorts:practice_assignments", args=[assignment.application.cohort.slug])
    assert [m.to for m in mail.outbox] == [[practice_admin.email]]


def test_the_conflict_api(assignment, reviewer):
    client = api_client(reviewer)
    url = reverse("cohorts_api:api_review_conflict", args=[assignment.code])
    assert client.post(url, {"conflict": True}, content_type="application/json").status_code == 400
    assert client.post(url, {"conflict": "maybe"}, content_type="application/json").status_code == 400
    response = client.post(url, {"conflict": False}, content_type="application/json")
    assert response.json()["conflict"] == "none"
    assert client.get(api_detail(assignment)).status_code == 200


# --- scoring ---------------------------------------------------------------------------------------


def test_a_reviewer_saves_a_draft_then_submits(cleared, reviewer, cohort):
    client = practice_page_client(reviewer)
    first = cohort.criteria.first()
    response = client.post(
        detail(cleared),
        {f"criterion_{first.pk}": "4", f"comment_{first.pk}": "Clear logic", "comments": "So far so good", "action": "save"},
    )
    assert response.status_code == 302
    review = Review.objects.get(assignment=cleared)
    assert review.status == "draft" and review.comments == "So far so good"
    assert list(review.scores.values_list("score", "comment")) == [(4, "Clear logic")]
    html = client.get(detail(cleared)).content.decode()
    assert "Clear logic" in html and "checked" in html

    response = client.post(detail(cleared), {f"criterion_{first.pk}": "4", "action": "submit"})
    html = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in html and "Choose a score for “Measurable outcomes”" in html
    review.refresh_from_db()
    assert review.status == "draft"

    response = client.post(detail(cleared), {**all_scores(cohort, 2), "comments": "Done", "action": "submit"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == "submitted" and review.submitted_at and review.scores.count() == 5
    html = client.get(detail(cleared)).content.decode()
    assert "You submitted your review" in html and "Submit your review" not in html


def test_a_score_off_the_scale_and_a_comment_without_a_score_are_refused(cleared, reviewer, cohort):
    client = practice_page_client(reviewer)
    first = cohort.criteria.first()
    response = client.post(detail(cleared), {f"criterion_{first.pk}": "9", "action": "save"})
    assert "Choose a score on the scale" in response.content.decode()
    response = client.post(detail(cleared), {f"comment_{first.pk}": "Hmm", "action": "save"})
    assert "to keep your comment on it" in response.content.decode()


def test_a_submitted_review_is_final(cleared, reviewer, cohort):
    finish(cleared)
    response = practice_page_client(reviewer).post(detail(cleared), {**all_scores(cohort, 1), "action": "submit"})
    assert response.status_code == 200 and "can no longer change" in response.content.decode()
    assert set(Review.objects.get(assignment=cleared).scores.values_list("score", flat=True)) == {3}
    response = api_client(reviewer).put(
        reverse("cohorts_api:api_review_save", args=[cleared.code]), {}, content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize("stage", [Cohort.Status.OPEN, Cohort.Status.DECIDED])
def test_reviewers_score_only_while_the_cohort_is_reviewing(cleared, reviewer, cohort, stage):
    Cohort.objects.filter(pk=cohort.pk).update(status=stage)
    client = practice_page_client(reviewer)
    html = client.get(detail(cleared)).content.decode()
    assert "Reviewers score only while Round 8 is being reviewed" in html and "Submit your review" not in html
    response = client.post(detail(cleared), {**all_scores(cohort), "action": "submit"})
    assert "Reviewers score only while" in response.content.decode()
    response = api_client(reviewer).post(
        reverse("cohorts_api:api_review_submit", args=[cleared.code]),
        {"scores": [{"criterion": 1, "score": 3}]},
        content_type="application/json",
    )
    assert response.status_code == 400 and "Reviewers score only while" in str(response.json())
    assert not Review.objects.exists()


def test_the_review_api_saves_and_submits(cleared, reviewer):
    client = api_client(reviewer)
    body = client.get(api_detail(cleared)).json()
    assert body["can_score"] is True and len(body["criteria"]) == 5 and body["review"] is None
    save = reverse("cohorts_api:api_review_save", args=[cleared.code])
    response = client.put(save, {"scores": [{"criterion": 1, "score": 4, "comment": "Strong"}]}, content_type="application/json")
    assert response.status_code == 200 and response.json()["review"]["status"] == "draft"
    assert client.put(save, {"scores": [{"criterion": 99, "score": 4}]}, content_type="application/json").status_code == 400
    submit = reverse("cohorts_api:api_review_submit", args=[cleared.code])
    refused = client.post(submit, {}, content_type="application/json")
    assert refused.status_code == 400 and "Choose a score for “Measurable outcomes”" in refused.json()["scores"]
    scores = [{"criterion": n, "score": 2} for n in range(2, 6)]
    response = client.post(submit, {"scores": scores, "comments": "Fine"}, content_type="application/json")
    assert response.status_code == 200
    review = response.json()["review"]
    assert review["status"] == "submitted" and [s["score"] for s in review["scores"]] == [4, 2, 2, 2, 2]


# --- independence ----------------------------------------------------------------------------------


def test_a_reviewer_sees_other_reviews_only_after_submitting_their_own(cleared, reviewer, application):
    other = factories.ReviewAssignmentFactory(
        application=application, reviewer=factories.ReviewerFactory(full_name="Otto Other"), conflict="none"
    )
    finish(other, score=1, comments="SECRET-OTHER-COMMENT")
    client, api = practice_page_client(reviewer), api_client(reviewer)
    assert "SECRET-OTHER-COMMENT" not in client.get(detail(cleared)).content.decode()
    body = api.get(api_detail(cleared)).content.decode()
    assert "SECRET-OTHER-COMMENT" not in body and "Otto Other" not in body
    assert selectors.other_reviews_for_reviewer(assignment=cleared) == []
    finish(cleared)
    assert "SECRET-OTHER-COMMENT" in client.get(detail(cleared)).content.decode()
    others = api.get(api_detail(cleared)).json()["other_reviews"]
    assert [o["comments"] for o in others] == ["SECRET-OTHER-COMMENT"]


def test_a_draft_of_another_reviewer_is_never_shown(cleared, reviewer, application):
    other = factories.ReviewAssignmentFactory(application=application, conflict="none")
    factories.ReviewFactory(assignment=other, comments="DRAFT-OF-OTHER")
    finish(cleared)
    assert "DRAFT-OF-OTHER" not in practice_page_client(reviewer).get(detail(cleared)).content.decode()


# --- blind review ----------------------------------------------------------------------------------

IDENTIFYING = [PARTNER_NAME, AGENCY, "Northmoor", "northmoor", "Kestrel", "887", "North West", "Quibblesworth"]


def mentions(text: str, term: str) -> bool:
    """As a whole word: the LA code's three digits may turn up inside a random code or token."""
    return re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", text) is not None


def test_blind_review_never_sends_the_partners_identity_by_page_or_api(cleared, reviewer, cohort, application):
    Cohort.objects.filter(pk=cohort.pk).update(blind_review=True)
    other = factories.ReviewAssignmentFactory(application=application, conflict="none")
    finish(other)
    client, api = practice_page_client(reviewer), api_client(reviewer)
    pages = [
        client.get(reverse("cohorts:review_list")),
        client.get(detail(cleared)),
        api.get(reverse("cohorts_api:api_reviews")),
        api.get(api_detail(cleared)),
    ]
    finish(cleared)
    pages += [client.get(detail(cleared)), api.get(api_detail(cleared))]
    for response in pages:
        assert response.status_code == 200
        text = response.content.decode()
        for term in IDENTIFYING:
            assert not mentions(text, term), f"{term!r} leaked into {response.request['PATH_INFO']}"
    reference = selectors.application_reference(application)
    assert reference in pages[0].content.decode() and reference in pages[1].content.decode()
    body = pages[-1].json()
    assert body["application"]["blind"] is True and "partner" not in body["application"]
    assert "family hubs" in body["application"]["practice_title"]


def test_the_conflict_page_of_a_blind_review_names_no_partner(assignment, reviewer, cohort):
    Cohort.objects.filter(pk=cohort.pk).update(blind_review=True)
    html = practice_page_client(reviewer).get(reverse("cohorts:review_conflict", args=[assignment.code])).content.decode()
    for term in IDENTIFYING:
        assert not mentions(html, term)


def test_without_blind_review_reviewers_see_who_applied(cleared, reviewer):
    html = practice_page_client(reviewer).get(detail(cleared)).content.decode()
    assert PARTNER_NAME in html and AGENCY in html and "Dr Alexandra Quibblesworth" in html
    body = api_client(reviewer).get(api_detail(cleared)).json()
    assert body["application"]["partner"]["name"] == PARTNER_NAME


def test_the_blinded_fields_are_chosen_in_one_place():
    assert "senior_sponsor" in selectors.BLINDED_FIELDS


# --- who can reach what ----------------------------------------------------------------------------


def test_reviewers_see_only_their_own_active_assignments(cleared, reviewer, application):
    mine_elsewhere = factories.ReviewAssignmentFactory(reviewer=reviewer, application__practice_title="My other one")
    theirs = factories.ReviewAssignmentFactory(application__practice_title="Not mine at all", conflict="none")
    html = practice_page_client(reviewer).get(reverse("cohorts:review_list")).content.decode()
    assert "Northmoor family hubs" in html and "My other one" in html and "Not mine at all" not in html
    listed = {a["code"] for a in api_client(reviewer).get(reverse("cohorts_api:api_reviews")).json()["results"]}
    assert listed == {str(cleared.code), str(mine_elsewhere.code)}
    client, api = practice_page_client(reviewer), api_client(reviewer)
    for code in (theirs.code, uuid.uuid4()):
        for name in ("review_detail", "review_conflict"):
            response = client.get(reverse(f"cohorts:{name}", args=[code]))
            assert response.status_code == 404
        missing = api.get(reverse("cohorts_api:api_review", args=[code]))
        assert missing.status_code == 404 and missing.json() == {"detail": "Not found."}
        assert (
            api.put(reverse("cohorts_api:api_review_save", args=[code]), {}, content_type="application/json").status_code == 404
        )


def test_another_reviewer_cannot_post_to_an_assignment(cleared, cohort):
    intruder = factories.ReviewerFactory()
    response = practice_page_client(intruder).post(detail(cleared), {**all_scores(cohort), "action": "submit"})
    assert response.status_code == 404
    assert not Review.objects.exists()


def test_analysts_are_not_reviewers(cleared):
    analyst = factories.PracticeUserFactory(practice_role="analyst")
    assert practice_page_client(analyst).get(reverse("cohorts:review_list")).status_code == 403
    assert api_client(analyst).get(reverse("cohorts_api:api_reviews")).status_code == 403


def test_applicants_and_other_partners_never_reach_a_review(cleared, application, lead, other_lead):
    finish(cleared)
    applicant = application.partner.memberships.get().user
    urls = [reverse("cohorts:review_list"), detail(cleared), reverse("cohorts:review_conflict", args=[cleared.code])]
    api_urls = [reverse("cohorts_api:api_reviews"), api_detail(cleared)]
    for user in (applicant, lead, other_lead):
        for url in urls:
            assert page_client(user).get(url).status_code == 404
        for url in api_urls:
            assert api_client(user).get(url).status_code == 404


def test_the_partners_api_and_pages_never_include_reviews_or_scores(cleared, application):
    finish(cleared, comments="REVIEWER-SECRET")
    applicant = application.partner.memberships.get().user
    api = api_client(applicant).get(reverse("cohorts_api:api_application", args=[application.partner.slug, application.code]))
    assert api.status_code == 200
    body = api.content.decode()
    assert "REVIEWER-SECRET" not in body and "score" not in body.lower() and "review" not in api.json()
    page = page_client(applicant).get(reverse("cohorts:application_detail", args=[application.partner.slug, application.code]))
    assert "REVIEWER-SECRET" not in page.content.decode() and "Rita Reviewer" not in page.content.decode()


def test_a_partners_transaction_reads_no_review_rows(cleared):
    """The second wall: reviews, scores and assignments are practice-only in PostgreSQL."""
    from django.db import connection, transaction

    from pine.tenancy import partner_scope

    finish(cleared)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pine.practice', '', true)")
    with transaction.atomic(), partner_scope(cleared.application.partner_id):
        assert not Review.objects.exists()
        assert not ReviewAssignment.objects.exists()


def test_the_helper_cohort_has_submitted_reviews_for_every_assignment():
    cohort, applications, reviewers = make_reviewed_cohort(n_applications=2, reviewers=3)
    assert len(applications) == 2 and len(reviewers) == 3
    assert Review.objects.filter(application__cohort=cohort, status="submitted").count() == 6


def test_reviewers_cannot_browse_the_practice_teams_application_pages_or_api(cleared, reviewer, application):
    client, api = practice_page_client(reviewer), api_client(reviewer)
    assert client.get(reverse("cohorts:practice_application", args=[application.code])).status_code == 403
    assert client.get(reverse("cohorts:practice_cohort", args=[application.cohort.slug])).status_code == 403
    assert api.get(reverse("cohorts_api:api_practice_applications")).status_code == 403
    assert api.get(reverse("cohorts_api:api_practice_application", args=[application.code])).status_code == 403
    html = client.get(reverse("practice_home")).content.decode()
    assert reverse("cohorts:review_list") in html
    assert PARTNER_NAME not in html and "Northmoor family hubs" not in html
