"""The review settings the workflow uses (reviewers for each application, blind review, the
disagreement threshold) on the cohort's forms, and the automatic assignment's explanation true to
the numbers."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cohorts.models import Application, Cohort, ReviewAssignment
from cohorts.services import applications as services
from cohorts.services.reviews import AutoAssignment
from tests import factories
from tests.cohorts.helpers import api_client, practice_page_client

pytestmark = pytest.mark.django_db


def test_the_create_form_offers_the_review_settings(practice_admin):
    html = practice_page_client(practice_admin).get(reverse("cohorts:practice_cohort_create")).content.decode()
    assert 'name="reviewers_per_application"' in html and 'value="2"' in html
    assert 'name="blind_review"' in html and 'name="disagreement_threshold"' in html


def test_a_cohort_being_reviewed_changes_only_its_review_settings(practice_admin):
    cohort = factories.CohortFactory(status=Cohort.Status.REVIEWING, reviewers_per_application=2, name="Round 5")
    client = practice_page_client(practice_admin)
    cohort_page = client.get(reverse("cohorts:practice_cohort", args=[cohort.slug])).content.decode()
    assert "Change the review settings of Round 5" in cohort_page
    url = reverse("cohorts:practice_cohort_edit", args=[cohort.slug])
    form = client.get(url).content.decode()
    assert 'name="reviewers_per_application"' in form and 'name="name"' not in form
    response = client.post(url, {"reviewers_per_application": 1, "disagreement_threshold": 3, "name": "Sneaky"})
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert (cohort.reviewers_per_application, cohort.disagreement_threshold, cohort.name) == (1, 3, "Round 5")
    with pytest.raises(ValidationError, match="can no longer change"):
        services.cohort_update(actor=practice_admin, cohort=cohort, name="Sneaky")
    # The API follows the same rule.
    api = api_client(practice_admin)
    assert (
        api.patch(
            f"/api/v1/practice/cohorts/{cohort.slug}/", {"reviewers_per_application": 3}, content_type="application/json"
        ).status_code
        == 200
    )
    cohort.refresh_from_db()
    assert cohort.reviewers_per_application == 3


def test_a_decided_cohort_changes_nothing(practice_admin):
    cohort = factories.CohortFactory(status=Cohort.Status.DECIDED, reviewers_per_application=2)
    with pytest.raises(ValidationError):
        services.cohort_update(actor=practice_admin, cohort=cohort, reviewers_per_application=1)


def test_a_bad_number_of_reviewers_is_a_message_by_the_field(practice_admin):
    cohort = factories.CohortFactory(status=Cohort.Status.REVIEWING)
    url = reverse("cohorts:practice_cohort_edit", args=[cohort.slug])
    html = (
        practice_page_client(practice_admin)
        .post(url, {"reviewers_per_application": "0", "disagreement_threshold": 2})
        .content.decode()
    )
    assert "Each application needs at least 1 reviewer" in html


def test_blind_review_cannot_be_switched_once_a_reviewer_has_opened_an_application(practice_admin):
    assignment = factories.ReviewAssignmentFactory(conflict=ReviewAssignment.Conflict.NONE)
    cohort = assignment.application.cohort
    with pytest.raises(ValidationError, match="blind review can no longer be switched"):
        services.cohort_update(actor=practice_admin, cohort=cohort, blind_review=True)
    services.cohort_update(
        actor=practice_admin, cohort=cohort, blind_review=False, reviewers_per_application=1
    )  # unchanged: fine
    cohort.refresh_from_db()
    assert not cohort.blind_review and cohort.reviewers_per_application == 1


def _short(*missing):
    return AutoAssignment(short=[(Application(), n) for n in missing], reviewers=1, per_application=2)


@pytest.mark.parametrize(
    ("missing", "wording"),
    [
        ((1,), "1 application still needs 1 more reviewer:"),
        ((2,), "1 application still needs 2 more reviewers:"),
        ((1, 1), "2 applications still need 1 more reviewer each:"),
        ((2, 2, 2), "3 applications still need 2 more reviewers each:"),
        ((1, 2), "2 applications still need 1 to 2 more reviewers each (3 in all):"),
    ],
)
def test_the_auto_assignment_explanation_is_true_to_the_numbers(missing, wording):
    explanation = _short(*missing).explanation
    assert explanation.startswith(wording)
    assert "each needs 2 and there is 1 active reviewer" in explanation
    assert "review settings" in explanation
