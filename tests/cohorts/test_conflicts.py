"""The conflict-of-interest gate beyond the review path: a practice admin who declared a conflict
with an application can neither read it nor screen it nor record or clear its decision, on the
pages or through the API, and is told why; another admin can."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from cohorts.models import Application, ReviewAssignment
from cohorts.services import decisions
from cohorts.services import reviews as services
from tests import factories
from tests.cohorts.helpers import api_client, practice_page_client
from tests.cohorts.review_helpers import make_reviewed_cohort

pytestmark = pytest.mark.django_db

REASON = "You declared a conflict of interest with this application"


@pytest.fixture
def round_(practice_admin):
    """A cohort being reviewed, two screened applications; the practice admin was assigned the first
    and declared a conflict with it."""
    cohort, applications, _ = make_reviewed_cohort(n_applications=2, reviewers=1, capacity=2)
    assignment = factories.ReviewAssignmentFactory(application=applications[0], reviewer=practice_admin)
    services.conflict_declare(actor=practice_admin, assignment=assignment, conflict=True, details="I chair its board")
    return cohort, applications


@pytest.fixture
def other_admin():
    return factories.PracticeUserFactory(full_name="Olive Otheradmin")


def _application_pages(cohort, application) -> list[str]:
    return [
        reverse("cohorts:practice_application", args=[application.code]),
        reverse("cohorts:practice_compare", args=[application.code]),
        reverse("cohorts:practice_decision", args=[cohort.slug, application.code]),
    ]


def test_the_admin_who_declared_a_conflict_cannot_open_the_application_pages_and_is_told_why(round_, practice_admin):
    cohort, (conflicted, other) = round_
    client = practice_page_client(practice_admin)
    for url in _application_pages(cohort, conflicted):
        response = client.get(url)
        assert response.status_code == 403, url
        page = response.content.decode()
        assert REASON in page and "another practice admin must" in page, url
        assert conflicted.practice_summary not in page
    for url in _application_pages(cohort, other)[::2]:  # (the comparison needs two revisions: it has none)
        assert client.get(url).status_code == 200, url


def test_the_admin_who_declared_a_conflict_cannot_record_screen_or_clear_on_the_pages(round_, practice_admin, other_admin):
    cohort, (conflicted, _) = round_
    client = practice_page_client(practice_admin)
    refused = client.post(reverse("cohorts:practice_decision", args=[cohort.slug, conflicted.code]), {"decision": "accept"})
    assert refused.status_code == 403 and REASON in refused.content.decode()
    screened = client.post(
        reverse("cohorts:practice_screen", args=[conflicted.code]),
        {"screen-decision": "ineligible", "screen-reason": "No."},
    )
    assert screened.status_code == 403
    decisions.decision_record(actor=other_admin, application=conflicted, decision="accept")
    cleared = client.post(reverse("cohorts:practice_decision_clear", args=[cohort.slug, conflicted.code]))
    assert cleared.status_code == 403
    conflicted.refresh_from_db()
    assert (conflicted.status, conflicted.pending_decision) == (Application.Status.ELIGIBLE, "accept")


def test_the_decisions_page_says_who_decides_instead_of_offering_the_conflicted_decision(round_, practice_admin):
    cohort, (conflicted, other) = round_
    page = practice_page_client(practice_admin).get(reverse("cohorts:practice_decisions", args=[cohort.slug])).content.decode()
    assert "You declared a conflict of interest: another practice admin decides" in page
    assert reverse("cohorts:practice_decision", args=[cohort.slug, conflicted.code]) not in page
    assert reverse("cohorts:practice_application", args=[conflicted.code]) not in page
    assert reverse("cohorts:practice_decision", args=[cohort.slug, other.code]) in page


def test_the_api_refuses_the_conflicted_application_saying_why_and_leaves_it_out_of_the_list(round_, practice_admin):
    cohort, (conflicted, other) = round_
    api = api_client(practice_admin)
    for method, url, data in [
        ("get", reverse("cohorts_api:api_practice_application", args=[conflicted.code]), None),
        ("get", reverse("cohorts_api:api_practice_revisions", args=[conflicted.code]), None),
        ("post", reverse("cohorts_api:api_practice_decision", args=[conflicted.code]), {"decision": "accept"}),
        ("delete", reverse("cohorts_api:api_practice_decision", args=[conflicted.code]), None),
        (
            "post",
            reverse("cohorts_api:api_practice_screening", args=[conflicted.code]),
            {"decision": "ineligible", "reason": "x"},
        ),
    ]:
        response = getattr(api, method)(url, data, content_type="application/json")
        assert response.status_code == 403, url
        assert response.json()["detail"].startswith(REASON), url
    listed = api.get(reverse("cohorts_api:api_practice_applications"), {"limit": 100}).json()["results"]
    codes = {row["code"] for row in listed}
    assert str(other.code) in codes and str(conflicted.code) not in codes
    assert api.get(reverse("cohorts_api:api_practice_application", args=[other.code])).status_code == 200
    conflicted.refresh_from_db()
    assert conflicted.pending_decision == "" and conflicted.status == Application.Status.ELIGIBLE


def test_the_decision_services_refuse_the_conflicted_admin(round_, practice_admin, other_admin):
    _, (conflicted, _) = round_
    with pytest.raises(PermissionDenied, match=REASON):
        decisions.decision_record(actor=practice_admin, application=conflicted, decision="accept")
    decisions.decision_record(actor=other_admin, application=conflicted, decision="accept")
    with pytest.raises(PermissionDenied, match=REASON):
        decisions.decision_clear(actor=practice_admin, application=conflicted)


def test_another_admin_reads_and_decides_the_conflicted_application(round_, other_admin):
    cohort, (conflicted, _) = round_
    client = practice_page_client(other_admin)
    for url in _application_pages(cohort, conflicted)[::2]:
        assert client.get(url).status_code == 200, url
    response = client.post(reverse("cohorts:practice_decision", args=[cohort.slug, conflicted.code]), {"decision": "accept"})
    assert response.status_code == 302
    assert api_client(other_admin).get(reverse("cohorts_api:api_practice_application", args=[conflicted.code])).status_code == 200


def test_declaring_no_conflict_changes_nothing_for_the_admin(round_, practice_admin):
    """Only a declared conflict closes the application: an admin assigned without a conflict, or
    not yet asked, reads and decides as before."""
    cohort, (_, other) = round_
    factories.ReviewAssignmentFactory(application=other, reviewer=practice_admin, conflict=ReviewAssignment.Conflict.NONE)
    client = practice_page_client(practice_admin)
    assert client.get(reverse("cohorts:practice_application", args=[other.code])).status_code == 200
    decisions.decision_record(actor=practice_admin, application=other, decision="decline")
