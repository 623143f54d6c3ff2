"""Every page the round workflow issue found without a way back has GOV.UK breadcrumbs or a back
link (and a form page a Cancel link): the call page, register, password reset, members,
notifications, profile, apply start, the evaluation hub, measures, new meeting, new cohort, the
practice cohort, application, evaluation, measures, local measures and invite pages."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.conftest import verified_client
from tests.pine.invitations import invite

pytestmark = pytest.mark.django_db

WAY_BACK = re.compile(r'class="govuk-(breadcrumbs|back-link)[ "]')


@pytest.fixture
def cohort():
    return factories.CohortFactory(name="Round 12", slug="round-12")


@pytest.fixture
def application(partner, cohort, lead):
    return factories.CompleteApplicationFactory(partner=partner, cohort=cohort, created_by=lead)


def _pages(partner, cohort, application, evaluation):
    """(who opens it, page name, path): who is None (signed out), "lead" or "practice"."""
    return [
        (None, "call", reverse("cohorts:public_detail", args=[cohort.slug])),
        (None, "register", reverse("register")),
        (None, "password reset", reverse("password_reset")),
        ("lead", "members", reverse("partner_members", args=[partner.slug])),
        ("lead", "notifications", reverse("notifications")),
        ("lead", "notification email choices", reverse("notification_settings")),
        ("lead", "profile", reverse("profile")),
        ("lead", "change password", reverse("password_change")),
        ("lead", "apply start", reverse("cohorts:application_create", args=[partner.slug, cohort.slug])),
        ("lead", "application", reverse("cohorts:application_detail", args=[partner.slug, application.code])),
        ("lead", "evaluation hub", reverse("reports:evaluation", args=[partner.slug, evaluation.code])),
        ("lead", "measures", reverse("evaluations:measures", args=[partner.slug])),
        ("lead", "new meeting", reverse("evaluations:meeting_create", args=[partner.slug, evaluation.code])),
        ("practice", "new cohort", reverse("cohorts:practice_cohort_create")),
        ("practice", "practice cohort", reverse("cohorts:practice_cohort", args=[cohort.slug])),
        ("practice", "practice application", reverse("cohorts:practice_application", args=[application.code])),
        ("practice", "practice evaluation", reverse("evaluations:practice_evaluation", args=[evaluation.code])),
        ("practice", "measure library", reverse("measures:practice_library")),
        ("practice", "local measures", reverse("measures:practice_local_measures")),
        ("practice", "invite a partner's lead", reverse("practice_invite", args=[partner.slug])),
    ]


def test_each_page_the_issue_names_has_breadcrumbs_or_a_back_link(partner, lead, practice_admin, cohort, application):
    evaluation = factories.EvaluationFactory(application__partner=partner)
    clients = {None: Client(), "lead": Client(), "practice": verified_client(Client(), practice_admin)}
    clients["lead"].force_login(lead)
    missing = []
    for who, name, path in _pages(partner, cohort, application, evaluation):
        response = clients[who].get(path)
        assert response.status_code == 200, (name, path, response.status_code)
        if not WAY_BACK.search(response.content.decode()):
            missing.append(name)
    assert missing == []


def test_the_new_meeting_form_has_a_cancel_link_back_to_the_evaluation(partner, lead):
    evaluation = factories.EvaluationFactory(application__partner=partner)
    client = Client()
    client.force_login(lead)
    page = client.get(reverse("evaluations:meeting_create", args=[partner.slug, evaluation.code])).content.decode()
    back = reverse("reports:evaluation", args=[partner.slug, evaluation.code])
    assert re.search(rf'<a class="govuk-link" href="{re.escape(back)}[^"]*">Cancel</a>', page), page


def test_an_invitation_page_has_a_way_back(client, lead, partner, django_capture_on_commit_callbacks):
    client.force_login(lead)
    _, link = invite(client, partner, django_capture_on_commit_callbacks, email="new@northshire.example", role="viewer")
    page = client.get(link)
    assert page.status_code == 200 and WAY_BACK.search(page.content.decode())


def test_a_partners_pages_inside_an_evaluation_lead_back_to_it(partner, lead):
    """The statutory return import, the period queries and an upload's page: breadcrumbs to the
    partner and the evaluation, as on its other pages."""
    evaluation = factories.EvaluationFactory(application__partner=partner)
    submission = factories.SubmissionFactory(partner=partner, evaluation=evaluation, uploaded_by=lead)
    client = Client()
    client.force_login(lead)
    back = reverse("reports:evaluation", args=[partner.slug, evaluation.code])
    for path in (
        reverse("returns:import", args=[partner.slug, evaluation.code]),
        reverse("outcomes:period_queries", args=[partner.slug, evaluation.code]),
        reverse("outcomes:submission", args=[partner.slug, submission.code]),
    ):
        page = client.get(path).content.decode()
        crumbs = re.search(r'<nav class="govuk-breadcrumbs".*?</nav>', page, re.S)
        assert crumbs and f'href="{back}"' in crumbs.group(0), path


def test_the_practice_teams_pages_of_a_cohort_lead_back_to_it(practice_admin):
    """The selection panel, the decisions (with a decision and the preview), the rubric (with its
    forms), the assignments and the dashboard: breadcrumbs to the practice team and the cohort."""
    from tests.cohorts.review_helpers import make_reviewed_cohort

    cohort, applications, reviewers = make_reviewed_cohort(n_applications=1, reviewers=1)
    client = verified_client(Client(), practice_admin)
    back = reverse("cohorts:practice_cohort", args=[cohort.slug])
    assignment = applications[0].assignments.get()
    for path in (
        reverse("cohorts:practice_panel", args=[cohort.slug]),
        reverse("cohorts:practice_decisions", args=[cohort.slug]),
        reverse("cohorts:practice_decision", args=[cohort.slug, applications[0].code]),
        reverse("cohorts:practice_decisions_preview", args=[cohort.slug]),
        reverse("cohorts:practice_rubric", args=[cohort.slug]),
        reverse("cohorts:practice_rubric_standard", args=[cohort.slug]),
        reverse("cohorts:practice_criterion_create", args=[cohort.slug]),
        reverse("cohorts:practice_criterion_delete", args=[cohort.slug, 1]),
        reverse("cohorts:practice_assignments", args=[cohort.slug]),
        reverse("cohorts:practice_assign", args=[cohort.slug, applications[0].code]),
        reverse("reports:cohort_dashboard", args=[cohort.slug]),
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        crumbs = re.search(r'<nav class="govuk-breadcrumbs".*?</nav>', response.content.decode(), re.S)
        assert crumbs and f'href="{back}"' in crumbs.group(0), path

    # A reviewer's review page, and the conflict question of an assignment not yet opened.
    unopened = factories.ReviewAssignmentFactory(application=applications[0], reviewer=factories.ReviewerFactory())
    for user, path in (
        (reviewers[0], reverse("cohorts:review_detail", args=[assignment.code])),
        (unopened.reviewer, reverse("cohorts:review_conflict", args=[unopened.code])),
    ):
        page = verified_client(Client(), user).get(path).content.decode()
        assert f'<a href="{reverse("cohorts:review_list")}" class="govuk-back-link">' in page, path


def test_the_practice_teams_other_pages_lead_back(practice_admin, partner):
    """Outcome data to approve (back to its evaluation), the registrations to check and the reports
    awaiting approval (back to the practice team's page)."""
    evaluation = factories.EvaluationFactory(application__partner=partner)
    client = verified_client(Client(), practice_admin)
    for path, back in (
        (
            reverse("outcomes:practice_periods", args=[evaluation.code]),
            reverse("evaluations:practice_evaluation", args=[evaluation.code]),
        ),
        (reverse("practice_registrations"), reverse("practice_home")),
        (reverse("reports:practice_reports"), reverse("practice_home")),
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        crumbs = re.search(r'<nav class="govuk-breadcrumbs".*?</nav>', response.content.decode(), re.S)
        assert crumbs and f'href="{back}"' in crumbs.group(0), path
