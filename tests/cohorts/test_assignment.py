"""Assigning reviewers: by hand (practice admins choose reviewers for an eligible application) and
automatically (N per application, balancing the load, never a reviewer with a declared conflict,
keeping existing assignments). Each reviewer assigned is told."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cohorts.models import Application, Cohort, ReviewAssignment
from cohorts.services import reviews as services
from pine.models import Notification
from tests import factories
from tests.cohorts.helpers import api_client, page_client, practice_page_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort():
    return factories.CohortFactory(status=Cohort.Status.REVIEWING, reviewers_per_application=2, blind_review=True)


def eligible(cohort, n=1, **kwargs):
    apps = []
    for _ in range(n):
        partner = factories.PartnerFactory()
        apps.append(factories.ApplicationFactory(cohort=cohort, partner=partner, status=Application.Status.ELIGIBLE, **kwargs))
    return apps


@pytest.fixture
def reviewers():
    return [factories.ReviewerFactory(full_name=f"Reviewer {c}") for c in "ABC"]


def load(cohort):
    counts = {}
    for a in ReviewAssignment.objects.filter(application__cohort=cohort).exclude(conflict="declared"):
        counts[a.reviewer_id] = counts.get(a.reviewer_id, 0) + 1
    return counts


# --- manual -------------------------------------------------------------------------------------------


def test_assigning_a_reviewer_tells_them_without_naming_the_partner(
    cohort, reviewers, practice_admin, django_capture_on_commit_callbacks
):
    (application,) = eligible(cohort)
    with django_capture_on_commit_callbacks(execute=True):
        assignment = services.assignment_create(actor=practice_admin, application=application, reviewer=reviewers[0])
    assert assignment.assigned_by == practice_admin and assignment.conflict == "undeclared"
    note = Notification.objects.get(recipient=reviewers[0])
    assert note.link == reverse("cohorts:review_list")
    assert cohort.name in note.subject
    (email,) = mail.outbox
    assert email.to == [reviewers[0].email]
    assert application.partner.name not in email.body + email.subject
    assert str(application.code)[:8].upper() in email.body


def test_a_reviewer_is_assigned_once_and_never_after_declaring_a_conflict(cohort, reviewers, practice_admin):
    (application,) = eligible(cohort)
    assignment = services.assignment_create(actor=practice_admin, application=application, reviewer=reviewers[0])
    with pytest.raises(ValidationError, match="already reviewing"):
        services.assignment_create(actor=practice_admin, application=application, reviewer=reviewers[0])
    services.conflict_declare(actor=reviewers[0], assignment=assignment, conflict=True, details="I used to work there")
    with pytest.raises(ValidationError, match="conflict of interest"):
        services.assignment_create(actor=practice_admin, application=application, reviewer=reviewers[0])


def test_only_eligible_applications_of_a_cohort_in_review_are_assigned(cohort, reviewers, practice_admin):
    submitted = factories.ApplicationFactory(cohort=cohort, status=Application.Status.SUBMITTED)
    with pytest.raises(ValidationError, match="screened as eligible"):
        services.assignment_create(actor=practice_admin, application=submitted, reviewer=reviewers[0])
    decided = factories.CohortFactory(status=Cohort.Status.DECIDED)
    (late,) = eligible(decided)
    with pytest.raises(ValidationError, match="can no longer be assigned"):
        services.assignment_create(actor=practice_admin, application=late, reviewer=reviewers[0])


def test_only_reviewers_and_practice_admins_can_be_assigned(cohort, practice_admin, lead):
    (application,) = eligible(cohort)
    for user in (factories.PracticeUserFactory(practice_role="analyst"), lead):
        with pytest.raises(ValidationError, match="not a reviewer"):
            services.assignment_create(actor=practice_admin, application=application, reviewer=user)
    other_admin = factories.PracticeUserFactory()
    assert services.assignment_create(actor=practice_admin, application=application, reviewer=other_admin)


def test_only_practice_admins_assign(cohort, reviewers):
    (application,) = eligible(cohort)
    with pytest.raises(PermissionDenied):
        services.assignment_create(actor=reviewers[0], application=application, reviewer=reviewers[1])
    with pytest.raises(PermissionDenied):
        services.assignments_auto(actor=reviewers[0], cohort=cohort)


def test_an_assignment_is_removed_until_its_review_is_submitted(cohort, reviewers, practice_admin):
    (application,) = eligible(cohort)
    assignment = services.assignment_create(actor=practice_admin, application=application, reviewer=reviewers[0])
    services.assignment_remove(actor=practice_admin, assignment=assignment)
    assert not ReviewAssignment.objects.exists()
    review = factories.ReviewFactory(status="submitted")
    with pytest.raises(ValidationError, match="submitted"):
        services.assignment_remove(actor=practice_admin, assignment=review.assignment)


# --- automatic ----------------------------------------------------------------------------------------


def test_automatic_assignment_gives_each_application_n_reviewers_balancing_the_load(
    cohort, reviewers, practice_admin, django_capture_on_commit_callbacks
):
    applications = eligible(cohort, 3)
    factories.ApplicationFactory(cohort=cohort, status=Application.Status.SUBMITTED)  # not screened: not assigned
    with django_capture_on_commit_callbacks(execute=True):
        result = services.assignments_auto(actor=practice_admin, cohort=cohort)
    assert len(result.created) == 6 and not result.short and result.explanation == ""
    for application in applications:
        assert application.assignments.count() == 2
    assert sorted(load(cohort).values()) == [2, 2, 2]
    assert len(mail.outbox) == 6
    assert practice_admin.pk not in load(cohort)  # admins are assigned only by hand


def test_automatic_assignment_keeps_existing_assignments_and_skips_conflicts(cohort, reviewers, practice_admin):
    first, second = eligible(cohort, 2)
    kept = services.assignment_create(actor=practice_admin, application=first, reviewer=reviewers[0])
    conflicted = services.assignment_create(actor=practice_admin, application=second, reviewer=reviewers[0])
    services.conflict_declare(actor=reviewers[0], assignment=conflicted, conflict=True, details="My sister works there")
    result = services.assignments_auto(actor=practice_admin, cohort=cohort)
    assert ReviewAssignment.objects.filter(pk=kept.pk).exists()
    assert first.assignments.count() == 2
    second_reviewers = set(second.assignments.exclude(conflict="declared").values_list("reviewer", flat=True))
    assert second_reviewers == {reviewers[1].pk, reviewers[2].pk}
    assert len(result.created) == 3
    # Running it again changes nothing.
    assert services.assignments_auto(actor=practice_admin, cohort=cohort).created == []


def test_automatic_assignment_explains_when_there_are_too_few_reviewers(cohort, practice_admin):
    factories.ReviewerFactory()
    factories.ReviewerFactory(is_active=False)
    eligible(cohort, 2)
    result = services.assignments_auto(actor=practice_admin, cohort=cohort)
    assert len(result.created) == 2
    assert [n for _, n in result.short] == [1, 1]
    # Each needs one more: the wording says so (not "2 more reviewers", which reads as two each).
    assert "2 applications still need 1 more reviewer each" in result.explanation
    assert "there is 1 active reviewer" in result.explanation


# --- pages --------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(practice_admin):
    return practice_page_client(practice_admin)


def test_an_admin_chooses_reviewers_on_the_page(cohort, reviewers, admin_client, django_capture_on_commit_callbacks):
    (application,) = eligible(cohort)
    page = reverse("cohorts:practice_assign", args=[cohort.slug, application.code])
    html = admin_client.get(page).content.decode()
    assert all(r.full_name in html for r in reviewers)
    response = admin_client.post(page, {})
    assert response.status_code == 200 and "Choose at least one reviewer" in response.content.decode()
    response = admin_client.post(page, {"reviewers": ["someone@else.example"]})
    assert "Choose reviewers from the list" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(page, {"reviewers": [reviewers[0].email, reviewers[2].email]})
    assert response.status_code == 302
    assert set(application.assignments.values_list("reviewer", flat=True)) == {reviewers[0].pk, reviewers[2].pk}
    assert len(mail.outbox) == 2
    html = admin_client.get(reverse("cohorts:practice_assignments", args=[cohort.slug])).content.decode()
    assert "Reviewer A" in html and "Not started" in html  # unopened: not "Conflict not yet declared"


def test_the_assign_page_is_404_for_an_application_not_eligible_or_of_another_cohort(cohort, admin_client):
    submitted = factories.ApplicationFactory(cohort=cohort, status=Application.Status.SUBMITTED)
    (elsewhere,) = eligible(factories.CohortFactory(status=Cohort.Status.REVIEWING))
    for application in (submitted, elsewhere):
        assert admin_client.get(reverse("cohorts:practice_assign", args=[cohort.slug, application.code])).status_code == 404


def test_automatic_assignment_from_the_page_says_when_reviewers_are_too_few(cohort, admin_client):
    factories.ReviewerFactory()
    eligible(cohort, 1)
    response = admin_client.post(reverse("cohorts:practice_assignments_auto", args=[cohort.slug]), follow=True)
    html = response.content.decode()
    assert "1 assignment made" in html and "still needs 1 more reviewer" in html


def test_an_admin_removes_an_assignment_on_the_page(cohort, reviewers, practice_admin, admin_client):
    (application,) = eligible(cohort)
    assignment = services.assignment_create(actor=practice_admin, application=application, reviewer=reviewers[0])
    admin_client.post(reverse("cohorts:practice_assignment_remove", args=[assignment.code]))
    assert not ReviewAssignment.objects.exists()


def test_reviewers_cannot_assign_and_partners_never_see_assignment_pages(cohort, reviewers, lead, other_lead):
    (application,) = eligible(cohort)
    reviewer_client = practice_page_client(reviewers[0])
    pages = [
        reverse("cohorts:practice_assignments", args=[cohort.slug]),
        reverse("cohorts:practice_assign", args=[cohort.slug, application.code]),
    ]
    for page in pages:
        assert reviewer_client.get(page).status_code == 403
        for user in (lead, other_lead):
            assert page_client(user).get(page).status_code == 404
    assert reviewer_client.post(reverse("cohorts:practice_assignments_auto", args=[cohort.slug])).status_code == 403
    assert not ReviewAssignment.objects.exists()


# --- API ----------------------------------------------------------------------------------------------


def test_the_api_assigns_by_hand_and_automatically(cohort, reviewers, practice_admin):
    first, second = eligible(cohort, 2)
    client = api_client(practice_admin)
    base = reverse("cohorts_api:api_practice_assignments", args=[cohort.slug])
    response = client.post(
        base, {"application": str(first.code), "reviewer": reviewers[0].email}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["conflict"] == "undeclared"
    again = client.post(base, {"application": str(first.code), "reviewer": reviewers[0].email}, content_type="application/json")
    assert again.status_code == 400
    unknown = client.post(base, {"application": str(first.code), "reviewer": "x@y.example"}, content_type="application/json")
    assert unknown.status_code == 400 and "reviewer" in unknown.json()
    response = client.post(base + "auto/")
    assert response.status_code == 200 and len(response.json()["created"]) == 3
    listed = client.get(base).json()["results"]
    assert len(listed) == 4 and {a["review_status"] for a in listed} == {"not_started"}


def test_the_assignment_api_is_for_practice_admins_only(cohort, reviewers, lead, other_lead):
    base = reverse("cohorts_api:api_practice_assignments", args=[cohort.slug])
    assert api_client(reviewers[0]).get(base).status_code == 403
    for user in (lead, other_lead):
        assert api_client(user).get(base).status_code == 404
        assert api_client(user).post(base + "auto/").status_code == 404
