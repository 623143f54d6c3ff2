"""The scoring rubric: criteria (title, description, weight, counted) and the scale, edited by
practice admins on the cohort's pages and by the API, fixed once a review is submitted."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cohorts.models import Cohort, Criterion, ScaleLevel
from cohorts.services import reviews as services
from tests import factories
from tests.cohorts.helpers import api_client, page_client, practice_page_client
from tests.cohorts.review_helpers import make_reviewed_cohort

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort():
    return factories.CohortFactory(status=Cohort.Status.REVIEWING, slug="round-7", name="Round 7")


@pytest.fixture
def admin_client(practice_admin):
    return practice_page_client(practice_admin)


def titles(cohort):
    return list(Criterion.objects.filter(cohort=cohort).order_by("position").values_list("title", flat=True))


def url(name, cohort, *args):
    return reverse(f"cohorts:{name}", args=[cohort.slug, *args])


# --- services --------------------------------------------------------------------------------------


def test_the_standard_rubric_has_a_four_point_scale_and_an_uncounted_criterion(cohort, practice_admin):
    services.rubric_use_standard(actor=practice_admin, cohort=cohort)
    assert list(ScaleLevel.objects.filter(cohort=cohort).values_list("score", "label")) == [
        (1, "Weak"),
        (2, "Adequate"),
        (3, "Good"),
        (4, "Strong"),
    ]
    assert all(level.descriptor for level in ScaleLevel.objects.filter(cohort=cohort))
    assert titles(cohort) == [
        "Promise of the practice",
        "Measurable outcomes",
        "Data and readiness",
        "Partnership and joint working",
        "Fit with the round's theme",
    ]
    assert list(Criterion.objects.filter(cohort=cohort, counted=False).values_list("title", flat=True)) == [
        "Fit with the round's theme"
    ]


def test_the_standard_rubric_replaces_an_existing_one(cohort, practice_admin):
    services.criterion_create(actor=practice_admin, cohort=cohort, title="Old")
    services.rubric_use_standard(actor=practice_admin, cohort=cohort)
    assert "Old" not in titles(cohort)


def test_criteria_are_added_at_the_end_moved_and_closed_up_when_removed(cohort, practice_admin):
    a = services.criterion_create(actor=practice_admin, cohort=cohort, title="A")
    b = services.criterion_create(actor=practice_admin, cohort=cohort, title="B", weight=Decimal("2.5"), counted=False)
    services.criterion_create(actor=practice_admin, cohort=cohort, title="C")
    assert (b.position, b.weight, b.counted) == (2, Decimal("2.5"), False)
    services.criterion_move(actor=practice_admin, criterion=b, direction="up")
    assert titles(cohort) == ["B", "A", "C"]
    services.criterion_move(actor=practice_admin, criterion=Criterion.objects.get(title="C"), direction="down")  # already last
    assert titles(cohort) == ["B", "A", "C"]
    services.criterion_delete(actor=practice_admin, criterion=Criterion.objects.get(pk=a.pk))
    assert list(Criterion.objects.filter(cohort=cohort).values_list("title", "position")) == [("B", 1), ("C", 2)]


def test_a_scale_score_is_unique_in_the_cohort(cohort, practice_admin):
    services.scale_level_create(actor=practice_admin, cohort=cohort, score=1, label="Weak", descriptor="d")
    with pytest.raises(ValidationError) as error:
        services.scale_level_create(actor=practice_admin, cohort=cohort, score=1, label="Again", descriptor="d")
    assert "score" in error.value.message_dict


def test_only_practice_admins_change_the_rubric(cohort):
    for role in ("reviewer", "analyst"):
        user = factories.PracticeUserFactory(practice_role=role)
        with pytest.raises(PermissionDenied):
            services.criterion_create(actor=user, cohort=cohort, title="No")
        with pytest.raises(PermissionDenied):
            services.rubric_use_standard(actor=user, cohort=cohort)


def test_the_rubric_is_fixed_once_a_review_is_submitted(practice_admin):
    cohort, _, _ = make_reviewed_cohort(n_applications=1, reviewers=1)
    criterion = cohort.criteria.first()
    level = cohort.scale.first()
    for call in (
        lambda: services.criterion_create(actor=practice_admin, cohort=cohort, title="New"),
        lambda: services.criterion_update(actor=practice_admin, criterion=criterion, title="Changed"),
        lambda: services.criterion_delete(actor=practice_admin, criterion=criterion),
        lambda: services.criterion_move(actor=practice_admin, criterion=criterion, direction="down"),
        lambda: services.scale_level_create(actor=practice_admin, cohort=cohort, score=9, label="x", descriptor="x"),
        lambda: services.scale_level_update(actor=practice_admin, level=level, label="x"),
        lambda: services.scale_level_delete(actor=practice_admin, level=level),
        lambda: services.rubric_use_standard(actor=practice_admin, cohort=cohort),
    ):
        with pytest.raises(ValidationError, match="can no longer change"):
            call()
    assert cohort.criteria.count() == 5


def test_removing_a_criterion_clears_its_scores_in_draft_reviews(cohort, practice_admin):
    criterion = factories.CriterionFactory(cohort=cohort)
    draft = factories.ReviewFactory(assignment__application__cohort=cohort)
    factories.ScoreFactory(review=draft, criterion=criterion)
    services.criterion_delete(actor=practice_admin, criterion=criterion)
    assert not draft.scores.exists()


# --- pages -----------------------------------------------------------------------------------------


def test_the_cohort_page_links_to_the_rubric_and_assignments_for_admins(cohort, admin_client):
    html = admin_client.get(reverse("cohorts:practice_cohort", args=[cohort.slug])).content.decode()
    assert url("practice_rubric", cohort) in html
    assert url("practice_assignments", cohort) in html


def test_an_admin_uses_the_standard_rubric_after_confirming(cohort, admin_client):
    response = admin_client.post(url("practice_rubric_standard", cohort), {})
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    assert not cohort.criteria.exists()
    response = admin_client.post(url("practice_rubric_standard", cohort), {"confirm": "on"})
    assert response.status_code == 302
    html = admin_client.get(url("practice_rubric", cohort)).content.decode()
    assert "Promise of the practice" in html and "4 – Strong" in html and "No – recorded only" in html


def test_an_admin_adds_changes_moves_and_removes_criteria_on_pages(cohort, admin_client):
    new = url("practice_criterion_create", cohort)
    response = admin_client.post(new, {"title": "", "weight": "abc"})
    html = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in html
    assert "Enter a title for the criterion" in html and "Enter the weight as a number" in html
    response = admin_client.post(new, {"title": "Weight zero", "weight": "0"})
    assert "The weight must be more than 0" in response.content.decode()
    assert (
        admin_client.post(new, {"title": "Evidence", "description": "What is known", "weight": "2", "counted": "on"}).status_code
        == 302
    )
    assert admin_client.post(new, {"title": "Theme", "weight": "1"}).status_code == 302
    theme = Criterion.objects.get(cohort=cohort, title="Theme")
    assert theme.counted is False and theme.position == 2

    response = admin_client.post(
        url("practice_criterion", cohort, 1), {"title": "Evidence of promise", "weight": "3", "counted": "on"}
    )
    assert response.status_code == 302
    assert Criterion.objects.get(cohort=cohort, position=1).weight == Decimal(3)

    admin_client.post(url("practice_criterion_move", cohort, 2), {"direction": "up"})
    assert titles(cohort) == ["Theme", "Evidence of promise"]

    assert "Remove “Theme”" in admin_client.get(url("practice_criterion_delete", cohort, 1)).content.decode()
    admin_client.post(url("practice_criterion_delete", cohort, 1))
    assert titles(cohort) == ["Evidence of promise"]
    assert admin_client.get(url("practice_criterion", cohort, 9)).status_code == 404


def test_an_admin_edits_the_scale_on_pages(cohort, admin_client):
    new = url("practice_scale_create", cohort)
    assert admin_client.post(new, {"score": "4", "label": "Strong", "descriptor": "Compelling"}).status_code == 302
    response = admin_client.post(new, {"score": "4", "label": "Again", "descriptor": "x"})
    assert "The scale already has a level for 4" in response.content.decode()
    response = admin_client.post(new, {"score": "four", "label": "", "descriptor": ""})
    assert "Enter the score as a whole number" in response.content.decode()
    admin_client.post(url("practice_scale_level", cohort, 4), {"score": "5", "label": "Very strong", "descriptor": "Best"})
    assert list(cohort.scale.values_list("score", "label")) == [(5, "Very strong")]
    admin_client.post(url("practice_scale_delete", cohort, 5))
    assert not cohort.scale.exists()


def test_pages_refuse_changes_once_a_review_is_submitted(admin_client):
    cohort, _, _ = make_reviewed_cohort(n_applications=1, reviewers=1)
    html = admin_client.get(url("practice_rubric", cohort)).content.decode()
    assert "the rubric can no longer change" in html
    assert url("practice_criterion_create", cohort) not in html
    response = admin_client.post(url("practice_criterion_create", cohort), {"title": "Late", "weight": "1"})
    assert response.status_code == 200 and "can no longer change" in response.content.decode()
    admin_client.post(url("practice_criterion_delete", cohort, 1))
    assert cohort.criteria.count() == 5


def test_reviewers_and_analysts_cannot_reach_the_rubric_pages(cohort):
    for role in ("reviewer", "analyst"):
        client = practice_page_client(factories.PracticeUserFactory(practice_role=role))
        assert client.get(url("practice_rubric", cohort)).status_code == 403
        assert client.post(url("practice_rubric_standard", cohort), {"confirm": "on"}).status_code == 403
    assert not cohort.criteria.exists()


def test_partner_users_get_404_on_rubric_pages_and_api(cohort, lead, other_lead):
    for user in (lead, other_lead):
        assert page_client(user).get(url("practice_rubric", cohort)).status_code == 404
        assert api_client(user).get(reverse("cohorts_api:api_practice_rubric", args=[cohort.slug])).status_code == 404


def test_a_missing_cohort_is_404(admin_client, practice_admin):
    assert admin_client.get(reverse("cohorts:practice_rubric", args=["nope"])).status_code == 404
    assert api_client(practice_admin).get(reverse("cohorts_api:api_practice_rubric", args=["nope"])).status_code == 404


# --- API -------------------------------------------------------------------------------------------


def test_the_api_edits_the_rubric(cohort, practice_admin):
    client = api_client(practice_admin)
    base = reverse("cohorts_api:api_practice_rubric", args=[cohort.slug])
    assert client.post(base + "standard/").status_code == 200
    body = client.get(base).json()
    assert body["locked"] is False and len(body["criteria"]) == 5 and len(body["scale"]) == 4
    assert body["criteria"][4]["counted"] is False

    response = client.post(base + "criteria/", {"title": "Value for money", "weight": "1.5"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["position"] == 6
    assert client.post(base + "criteria/", {"weight": "-1"}, content_type="application/json").status_code == 400
    response = client.patch(base + "criteria/6/", {"counted": False}, content_type="application/json")
    assert response.json()["counted"] is False
    assert client.post(base + "criteria/6/", {"direction": "up"}, content_type="application/json").json()["position"] == 5
    assert client.delete(base + "criteria/5/").status_code == 204
    assert client.delete(base + "criteria/50/").status_code == 404

    assert (
        client.post(base + "scale/", {"score": 4, "label": "x", "descriptor": "x"}, content_type="application/json").status_code
        == 400
    )
    assert (
        client.post(base + "scale/", {"score": 5, "label": "Top", "descriptor": "x"}, content_type="application/json").status_code
        == 201
    )
    assert client.patch(base + "scale/5/", {"label": "Best"}, content_type="application/json").json()["label"] == "Best"
    assert client.delete(base + "scale/5/").status_code == 204


def test_the_api_refuses_changes_once_a_review_is_submitted(practice_admin):
    cohort, _, _ = make_reviewed_cohort(n_applications=1, reviewers=1)
    client = api_client(practice_admin)
    base = reverse("cohorts_api:api_practice_rubric", args=[cohort.slug])
    assert client.get(base).json()["locked"] is True
    response = client.post(base + "criteria/", {"title": "Late"}, content_type="application/json")
    assert response.status_code == 400 and "can no longer change" in str(response.json())


def test_reviewers_cannot_use_the_rubric_api(cohort):
    client = api_client(factories.ReviewerFactory())
    assert client.get(reverse("cohorts_api:api_practice_rubric", args=[cohort.slug])).status_code == 403
