"""After submission: screening, "more information requested" and resubmission, revisions and
their comparison, withdrawal, and the statuses applicants see."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.urls import reverse

from cohorts.models import APPLICANT_STATUS, APPLICATION_TRANSITIONS, ApplicantStatus, Application, ApplicationRevision
from cohorts.services import applications as services
from cohorts.services import decisions
from pine.models import AgencyType, AuditEvent
from tests import factories
from tests.cohorts.helpers import api_client, page_client, practice_page_client

pytestmark = pytest.mark.django_db

S = Application.Status


@pytest.fixture
def submitted(partner, lead):
    application = factories.CompleteApplicationFactory(
        partner=partner, created_by=lead, practice_title="Family group conferences"
    )
    return services.application_submit(partner=partner, actor=lead, application=application)


@pytest.fixture
def reviewer():
    return factories.PracticeUserFactory(practice_role="reviewer")


def detail_url(application):
    return reverse("cohorts:application_detail", args=[application.partner.slug, application.code])


# --- every application transition, allowed and refused ----------------------------------------------


def decide(application, admin, decision):
    """A decision as the practice team takes it: recorded as pending, then released."""
    decisions.decision_record(actor=admin, application=application, decision=decision, confirm_without_reviews=True)
    decisions.decisions_release(actor=admin, cohort=application.cohort)


ACTIONS = {
    S.SUBMITTED: lambda a, lead, admin: services.application_submit(partner=a.partner, actor=lead, application=a),
    S.WITHDRAWN: lambda a, lead, admin: services.application_withdraw(partner=a.partner, actor=lead, application=a),
    S.ELIGIBLE: lambda a, lead, admin: services.application_screen(actor=admin, application=a, decision="eligible", reason="r"),
    S.INELIGIBLE: lambda a, lead, admin: services.application_screen(
        actor=admin, application=a, decision="ineligible", reason="r"
    ),
    S.MORE_INFORMATION: lambda a, lead, admin: services.application_request_information(actor=admin, application=a, question="q"),
    S.ACCEPTED: lambda a, lead, admin: decide(a, admin, "accept"),
    S.WAITING_LIST: lambda a, lead, admin: decide(a, admin, "waiting_list"),
    S.DECLINED: lambda a, lead, admin: decide(a, admin, "decline"),
}


@pytest.mark.parametrize("start", list(S.values))
@pytest.mark.parametrize("to", list(ACTIONS))
def test_every_application_transition_is_allowed_or_refused_as_the_table_says(partner, lead, practice_admin, start, to):
    application = factories.CompleteApplicationFactory(partner=partner, created_by=lead, status=start)
    if to in APPLICATION_TRANSITIONS[start]:
        ACTIONS[to](application, lead, practice_admin)
        application.refresh_from_db()
        assert application.status == to
    else:
        with pytest.raises(ValidationError):
            ACTIONS[to](application, lead, practice_admin)
        application.refresh_from_db()
        assert application.status == start


def test_draft_is_not_a_state_any_action_returns_to():
    assert all(S.DRAFT not in targets for targets in APPLICATION_TRANSITIONS.values())


# --- screening ---------------------------------------------------------------------------------------


def test_the_practice_team_sees_the_automatic_checks(practice_client, submitted):
    page = practice_client.get(reverse("cohorts:practice_application", args=[submitted.code])).content.decode()
    assert "Statutory lead agency" in page and "At least one measurable outcome" in page
    assert "Required sections complete" in page and page.count(">Passed</strong>") == 3


def test_the_lead_agency_check_names_the_lead_agency_not_the_partnership(practice_client, submitted):
    factories.PartnerAgencyFactory(
        partner=submitted.partner, name="Northshire Borough Council", agency_type=AgencyType.LOCAL_AUTHORITY, is_lead=True
    )
    page = practice_client.get(reverse("cohorts:practice_application", args=[submitted.code])).content.decode()
    assert "Northshire Borough Council: local authority children&#x27;s services" in page


def test_failing_checks_are_shown(practice_client, partner, lead):
    application = factories.ApplicationFactory(partner=partner, created_by=lead, status=S.SUBMITTED)  # the thin slice's answers
    page = practice_client.get(reverse("cohorts:practice_application", args=[application.code])).content.decode()
    assert page.count(">Failed</strong>") == 2 and "No measure chosen" in page


def test_a_practice_admin_screens_with_a_reason(practice_client, practice_admin, submitted):
    url = reverse("cohorts:practice_screen", args=[submitted.code])
    response = practice_client.post(url, {"screen-decision": "eligible", "screen-reason": ""})
    assert "Enter the reason for the screening decision" in response.content.decode()
    response = practice_client.post(url, {"screen-decision": "eligible", "screen-reason": "Meets every criterion."})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == S.ELIGIBLE and submitted.screening_reason == "Meets every criterion."
    assert submitted.screened_by == practice_admin
    assert AuditEvent.objects.filter(action="application.screen_eligible", partner=submitted.partner).exists()
    data = api_client(practice_admin).get(f"/api/v1/practice/applications/{submitted.code}/").json()
    assert data["status"] == "eligible" and data["status_label"] == "Screened: eligible"
    assert [c["passed"] for c in data["checks"]] == [True, True, True]


def test_only_practice_admins_screen(reviewer, submitted, lead):
    with pytest.raises(PermissionDenied):
        services.application_screen(actor=reviewer, application=submitted, decision="eligible", reason="x")
    client = practice_page_client(reviewer)
    # Reviewers see only the applications assigned to them (cohorts.views.reviews).
    assert client.get(reverse("cohorts:practice_application", args=[submitted.code])).status_code == 403
    response = client.post(
        reverse("cohorts:practice_screen", args=[submitted.code]), {"screen-decision": "eligible", "screen-reason": "x"}
    )
    assert response.status_code == 403
    api = api_client(reviewer)
    response = api.post(f"/api/v1/practice/applications/{submitted.code}/screening/", {"decision": "eligible", "reason": "x"})
    assert response.status_code == 403
    assert api_client(lead).post(f"/api/v1/practice/applications/{submitted.code}/screening/", {}).status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED


# --- more information, resubmission and revisions -----------------------------------------------------


def test_more_information_reopens_the_application_and_resubmission_adds_a_revision(
    practice_client, practice_admin, lead, submitted
):
    response = practice_client.post(
        reverse("cohorts:practice_request_information", args=[submitted.code]),
        {"request_information-question": "How many families were offered a conference last year?"},
    )
    assert response.status_code == 302
    client = page_client(lead)
    page = client.get(detail_url(submitted)).content.decode()
    assert "More information needed" in page and "How many families were offered a conference last year?" in page
    assert "More information requested" not in page  # the internal name
    # The applicant changes an answer and resubmits.
    response = client.post(
        reverse("cohorts:application_section", args=[submitted.partner.slug, submitted.code, "children"]),
        {"children_description": "Families at the front door: 310 offered a conference.", "children_count": "310"},
    )
    assert response.status_code == 302
    client.post(reverse("cohorts:application_check", args=[submitted.partner.slug, submitted.code]))
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED
    first, second = submitted.revisions.order_by("number")
    assert (first.number, second.number) == (1, 2)
    assert first.answers["children_count"] == 240 and second.answers["children_count"] == 310
    assert second.in_reply_to == "How many families were offered a conference last year?"
    assert AuditEvent.objects.filter(action="application.resubmit", object_code=str(submitted.code)).exists()


def test_a_revision_cannot_be_changed_even_by_sql(submitted):
    revision = submitted.revisions.get()
    with pytest.raises(DatabaseError, match="cannot be changed"), transaction.atomic():
        ApplicationRevision.objects.filter(pk=revision.pk).update(answers={})
    revision.refresh_from_db()
    assert revision.answers["children_count"] == 240


def _two_revisions(application, lead, admin):
    services.application_request_information(actor=admin, application=application, question="Which system?")
    services.application_update(
        partner=application.partner, actor=lead, application=application, data_systems="Mosaic and a warehouse."
    )
    return services.application_submit(partner=application.partner, actor=lead, application=application)


def test_members_and_the_practice_team_compare_two_revisions_field_by_field(viewer, practice_admin, lead, submitted):
    _two_revisions(submitted, lead, practice_admin)
    page = page_client(viewer).get(reverse("cohorts:application_compare", args=[submitted.partner.slug, submitted.code]))
    html = page.content.decode()
    assert page.status_code == 200 and "Compare versions 1 and 2" in html and "1 answer changed." in html
    assert "Liquidlogic; a data warehouse." in html and "Mosaic and a warehouse." in html
    assert "Version 2 answers the question" in html and "Which system?" in html
    practice = practice_page_client(practice_admin).get(reverse("cohorts:practice_compare", args=[submitted.code]))
    assert practice.status_code == 200 and "1 answer changed." in practice.content.decode()
    same = page_client(viewer).get(
        reverse("cohorts:application_compare", args=[submitted.partner.slug, submitted.code]), {"from": 2, "to": 2}
    )
    assert "0 answers changed." in same.content.decode()
    missing = page_client(viewer).get(
        reverse("cohorts:application_compare", args=[submitted.partner.slug, submitted.code]), {"from": 1, "to": 9}
    )
    assert missing.status_code == 404
    data = (
        api_client(viewer)
        .get(f"/api/v1/partners/{submitted.partner.slug}/applications/{submitted.code}/revisions/compare/")
        .json()
    )
    changed = [a for a in data["answers"] if a["changed"]]
    assert (data["before"], data["after"]) == (1, 2)
    assert changed == [
        {
            "section": "Data available and systems",
            "label": "Case management and data systems",
            "before": "Liquidlogic; a data warehouse.",
            "after": "Mosaic and a warehouse.",
            "changed": True,
        }
    ]
    revisions = api_client(practice_admin).get(f"/api/v1/practice/applications/{submitted.code}/revisions/").json()
    assert [r["number"] for r in revisions["results"]] == [1, 2]


def test_the_other_partner_cannot_compare(other_lead, practice_admin, lead, submitted):
    _two_revisions(submitted, lead, practice_admin)
    url = reverse("cohorts:application_compare", args=[submitted.partner.slug, submitted.code])
    assert page_client(other_lead).get(url).status_code == 404
    api = api_client(other_lead)
    assert api.get(f"/api/v1/partners/{submitted.partner.slug}/applications/{submitted.code}/revisions/").status_code == 404


def test_only_practice_admins_ask_for_more_information(reviewer, submitted):
    with pytest.raises(PermissionDenied):
        services.application_request_information(actor=reviewer, application=submitted, question="?")
    response = api_client(reviewer).post(
        f"/api/v1/practice/applications/{submitted.code}/request-information/", {"question": "?"}
    )
    assert response.status_code == 403


# --- withdrawal --------------------------------------------------------------------------------------


def test_the_lead_withdraws_after_confirming(lead, submitted):
    client = page_client(lead)
    url = reverse("cohorts:application_withdraw", args=[submitted.partner.slug, submitted.code])
    assert "Withdraw this application" in client.get(detail_url(submitted)).content.decode()
    assert "Are you sure you want to withdraw this application?" in client.get(url).content.decode()
    assert "Select yes if you want to withdraw" in client.post(url, {}).content.decode()
    client.post(url, {"confirm": "no"})
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED
    client.post(url, {"confirm": "yes"})
    submitted.refresh_from_db()
    assert submitted.status == S.WITHDRAWN
    assert AuditEvent.objects.filter(action="application.withdraw", actor=lead).exists()
    assert "Withdrawn" in client.get(detail_url(submitted)).content.decode()


def test_contributors_and_viewers_cannot_withdraw(contributor, viewer, submitted):
    for user in (contributor, viewer):
        url = reverse("cohorts:application_withdraw", args=[submitted.partner.slug, submitted.code])
        assert page_client(user).post(url, {"confirm": "yes"}).status_code == 403
        response = api_client(user).post(f"/api/v1/partners/{submitted.partner.slug}/applications/{submitted.code}/withdraw/")
        assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED


def test_a_decided_application_cannot_be_withdrawn(lead, practice_admin, submitted):
    services.application_screen(actor=practice_admin, application=submitted, decision="eligible", reason="r")
    decide(submitted, practice_admin, "accept")
    response = api_client(lead).post(f"/api/v1/partners/{submitted.partner.slug}/applications/{submitted.code}/withdraw/")
    assert response.status_code == 400
    assert "Withdraw this application" not in page_client(lead).get(detail_url(submitted)).content.decode()


# --- what applicants see -----------------------------------------------------------------------------


def test_every_internal_status_has_an_applicant_facing_name():
    assert set(APPLICANT_STATUS) == set(S.values)
    assert set(APPLICANT_STATUS.values()) <= set(ApplicantStatus.values)


INTERNAL_NAMES = ["Screened: eligible", "Screened: ineligible", "More information requested", "Not selected", "Accepted"]


@pytest.mark.parametrize(
    "status, shown",
    [
        (S.SUBMITTED, "Submitted"),
        (S.MORE_INFORMATION, "More information needed"),
        (S.ELIGIBLE, "Being reviewed"),
        (S.INELIGIBLE, "Being reviewed"),
        (S.ACCEPTED, "Successful"),
        (S.DECLINED, "Not successful"),
        (S.WITHDRAWN, "Withdrawn"),
    ],
)
def test_applicants_see_applicant_facing_statuses_by_page_and_api(lead, partner, practice_admin, status, shown):
    application = factories.CompleteApplicationFactory(partner=partner, created_by=lead, status=status)
    client = page_client(lead)
    for url in (reverse("partner_home", args=[partner.slug]), detail_url(application)):
        page = client.get(url).content.decode()
        assert f">{shown}</strong>" in page, url
        assert not any(name in page for name in INTERNAL_NAMES), url
    api = api_client(lead)
    data = api.get(f"/api/v1/partners/{partner.slug}/applications/{application.code}/").json()
    assert data["status"] == APPLICANT_STATUS[status] and data["status_label"] == shown
    listed = api.get(f"/api/v1/partners/{partner.slug}/applications/").json()["results"]
    assert [a["status"] for a in listed] == [APPLICANT_STATUS[status]]
    assert "screening_reason" not in data
    # The practice team sees the internal name.
    practice = practice_page_client(practice_admin).get(reverse("cohorts:practice_application", args=[application.code]))
    assert f">{S(status).label}</strong>" in practice.content.decode()


def test_the_practice_applications_list_makes_a_constant_number_of_queries(practice_admin, django_assert_max_num_queries):
    client = practice_page_client(practice_admin)
    cohort = factories.CohortFactory()
    url = reverse("cohorts:practice_cohort", args=[cohort.slug])

    def add(n):
        for _ in range(n):
            application = factories.CompleteApplicationFactory(cohort=cohort, status=S.SUBMITTED)
            factories.ApplicationRevisionFactory(application=application)

    add(3)
    # 14 with the header's counts: unread notifications, and (for an admin) registrations to check
    with django_assert_max_num_queries(14) as few:
        assert client.get(url).status_code == 200
    add(12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url)
    assert page.content.decode().count('href="/practice/applications/') == 15
    home = reverse("practice_home")
    with django_assert_max_num_queries(len(few.captured_queries) + 2):
        assert client.get(home).status_code == 200


def test_revisions_are_behind_row_level_security(submitted, other_partner):
    from pine.tenancy import partner_scope, user_scope

    theirs = factories.ApplicationRevisionFactory(application__partner=other_partner)
    with partner_scope(submitted.partner_id):
        # No filter at all: the database itself returns only this partner's revisions.
        assert set(ApplicationRevision.objects.values_list("partner_id", flat=True)) == {submitted.partner_id}
        assert not ApplicationRevision.objects.filter(pk=theirs.pk).exists()
    with user_scope(0):
        assert not ApplicationRevision.objects.exists()
