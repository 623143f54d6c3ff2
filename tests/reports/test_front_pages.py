"""The front pages: what each kind of practice-team member is given, decided in the view (a template
never is the access control)."""

import pytest
from django.urls import reverse

from tests import factories
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db


def test_a_reviewers_home_is_given_no_cohort_application_or_evaluation(client):
    factories.EvaluationFactory(application__practice_title="Family group conferences")
    response = verified_client(client, factories.ReviewerFactory()).get(reverse("practice_home"))
    assert response.status_code == 200
    assert not {"cohorts", "applications", "evaluations"} & set(response.context.keys())
    page = response.content.decode()
    assert "Your reviews" in page and "Family group conferences" not in page and "Create a cohort" not in page


@pytest.mark.parametrize("role", ["practice_admin", "analyst"])
def test_admins_and_analysts_see_every_cohort_and_evaluation(client, role):
    evaluation = factories.EvaluationFactory(application__practice_title="Family group conferences")
    user = factories.PracticeUserFactory(practice_role=role)
    response = verified_client(client, user).get(reverse("practice_home"))
    (group,) = response.context["groups"]  # the programme dashboard: every cohort, with its evaluations
    assert group.cohort == evaluation.cohort and [row.evaluation for row in group.rows] == [evaluation]
    assert ("Create a cohort" in response.content.decode()) == (role == "practice_admin")
