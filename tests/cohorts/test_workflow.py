"""The thin slice of the cohorts app: create a cohort, apply, submit, decide — by page and by API."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Application, Cohort
from cohorts.services import applications as services
from cohorts.services import decisions
from evaluations.models import Evaluation
from pine.models import AgencyType, AuditEvent
from tests import factories
from tests.conftest import token_client

pytestmark = pytest.mark.django_db


# Every section's answers, as the API takes them.
ANSWERS = {
    "partnership_confirmed": True,
    "practice_summary": "Joint strategy discussions.",
    "practice_evidence": "Faster decisions in the pilot.",
    "children_description": "Children at risk of significant harm.",
    "children_count": 300,
    "outcome_measures": ["re_referrals_12m"],
    "outcomes_summary": "ICPC timeliness.",
    "data_available": "Strategy discussion dates.",
    "data_systems": "Mosaic.",
    "staff_time": "Two days a month.",
    "analyst_available": "yes",
    "senior_sponsor": "A director",
    "data_protection": "Public task.",
    "safeguarding": "Partnership procedures.",
}


@pytest.fixture
def cohort():
    return factories.CohortFactory(name="Round 2", slug="round-2")


def test_a_practice_admin_creates_a_cohort_on_the_page(practice_client):
    response = practice_client.post(
        reverse("cohorts:practice_cohort_create"),
        {
            "name": "PINE round 3",
            "description": "A call.",
            "capacity": 9,
            "reviewers_per_application": 2,
            "disagreement_threshold": 2,
            "opens_at": "2026-12-01T09:00",
            "deadline_at": "2027-01-31T17:00",
            "publish": "on",
        },
    )
    cohort = Cohort.objects.get(name="PINE round 3")
    assert response.url == reverse("cohorts:practice_cohort", args=[cohort.slug])
    assert cohort.status == Cohort.Status.OPEN
    # Typed as UK local time: 17:00 in January is 17:00 UTC.
    assert cohort.deadline_at.isoformat() == "2027-01-31T17:00:00+00:00"


def test_a_cohort_deadline_before_its_opening_is_refused(practice_client):
    response = practice_client.post(
        reverse("cohorts:practice_cohort_create"),
        {
            "name": "Bad",
            "description": "A call.",
            "capacity": 9,
            "opens_at": "2027-02-01T09:00",
            "deadline_at": "2027-01-31T17:00",
        },
    )
    assert response.status_code == 200 and "The deadline must be after the call opens" in response.content.decode()
    assert not Cohort.objects.filter(name="Bad").exists()


def test_reviewers_cannot_create_cohorts(client):
    from tests.conftest import verified_client

    reviewer = factories.PracticeUserFactory(practice_role="reviewer")
    verified_client(client, reviewer)
    assert client.get(reverse("cohorts:practice_cohort_create")).status_code == 403


def test_the_public_sees_open_calls_without_signing_in(client, cohort):
    factories.CohortFactory(name="Secret draft", status=Cohort.Status.DRAFT)
    page = client.get(reverse("cohorts:public_list")).content.decode()
    assert "Round 2" in page and "Secret draft" not in page
    assert client.get(reverse("cohorts:public_detail", args=["round-2"])).status_code == 200


def test_a_lead_starts_answers_checks_and_submits_an_application(client, lead, partner, cohort):
    client.force_login(lead)
    response = client.post(
        reverse("cohorts:application_create", args=[partner.slug, cohort.slug]),
        {"practice_title": "Family group conferencing"},
    )
    application = Application.objects.get(partner=partner)
    assert response.url == reverse("cohorts:application_detail", args=[partner.slug, application.code])
    assert "You have completed 0 of 7 sections" in client.get(response.url).content.decode()
    complete = factories.CompleteApplicationFactory.build()
    for section in application.sections():
        data = {name: getattr(complete, name) for name in section.fields if name != "practice_title"}
        data = {k: ("on" if v is True else v) for k, v in data.items()}
        if section.slug == "practice":
            data["practice_title"] = "Family group conferencing"
        saved = client.post(reverse("cohorts:application_section", args=[partner.slug, application.code, section.slug]), data)
        assert saved.status_code == 302, (section.slug, saved.content.decode()[:3000])
    check = reverse("cohorts:application_check", args=[partner.slug, application.code])
    assert "Check your answers" in client.get(check).content.decode()
    client.post(check)
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED and application.submitted_at
    assert application.revisions.get().answers["practice_title"] == "Family group conferencing"


def test_submission_after_the_deadline_is_refused(client, lead, partner, cohort):
    application = factories.CompleteApplicationFactory(partner=partner, cohort=cohort)
    Cohort.objects.filter(pk=cohort.pk).update(deadline_at=timezone.now() - timedelta(minutes=1))
    client.force_login(lead)
    page = client.post(reverse("cohorts:application_check", args=[partner.slug, application.code]))
    assert "deadline" in page.content.decode()
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT


def test_a_non_statutory_lead_cannot_submit(lead, partner, cohort):
    partner.lead_agency_type = AgencyType.VOLUNTARY
    partner.save()
    application = factories.ApplicationFactory(partner=partner, cohort=cohort, status=Application.Status.DRAFT)
    with pytest.raises(ValidationError, match="statutory"):
        services.application_submit(partner=partner, actor=lead, application=application)


def test_viewers_cannot_apply(client, viewer, partner, cohort):
    client.force_login(viewer)
    response = client.post(
        reverse("cohorts:application_create", args=[partner.slug, cohort.slug]),
        {
            "practice_title": "X",
            "practice_summary": "Y",
            "outcomes_summary": "Z",
        },
    )
    assert response.status_code == 403


def test_accepting_an_application_creates_the_evaluation_once(practice_client, practice_admin, partner, cohort):
    application = factories.ApplicationFactory(partner=partner, cohort=cohort)
    services.application_screen(actor=practice_admin, application=application, decision="eligible", reason="Eligible.")
    response = practice_client.post(
        reverse("cohorts:practice_decision", args=[cohort.slug, application.code]),
        {"decision": "accept", "confirm_without_reviews": "on"},  # no reviewer in this test
    )
    assert response.status_code == 302
    assert not Evaluation.objects.exists()  # pending until released
    response = practice_client.post(reverse("cohorts:practice_decisions_release", args=[cohort.slug]), {"confirm": "on"})
    assert response.status_code == 302
    evaluation = Evaluation.objects.get(application=application)
    assert evaluation.partner == partner and evaluation.title == application.practice_title
    with pytest.raises(ValidationError):
        decisions.decision_record(actor=practice_admin, application=application, decision="accept")
    assert Evaluation.objects.count() == 1
    assert AuditEvent.objects.filter(action="application.accept", partner=partner, actor=practice_admin).exists()


def test_the_whole_slice_through_the_api(client, lead, partner, practice_admin, django_capture_on_commit_callbacks):

    admin_api = token_client(practice_admin)
    lead_api = token_client(lead)
    now = timezone.now()
    created = admin_api.post(
        "/api/v1/practice/cohorts/",
        {
            "name": "API round",
            "opens_at": (now - timedelta(days=1)).isoformat(),
            "deadline_at": (now + timedelta(days=9)).isoformat(),
            "publish": True,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    slug = created.json()["slug"]
    assert slug in [c["slug"] for c in lead_api.get("/api/v1/cohorts/").json()["results"]]
    applied = lead_api.post(
        f"/api/v1/partners/{partner.slug}/applications/",
        {
            "cohort": slug,
            "practice_title": "Strategy discussions",
            **ANSWERS,
            "submit": True,
        },
        content_type="application/json",
    )
    assert applied.status_code == 201 and applied.json()["status"] == "submitted"
    code = applied.json()["code"]
    screened = admin_api.post(f"/api/v1/practice/applications/{code}/screening/", {"decision": "eligible", "reason": "Eligible."})
    assert screened.status_code == 200 and screened.json()["status"] == "eligible"
    decided = admin_api.post(
        f"/api/v1/practice/applications/{code}/decision/",
        {"decision": "accept", "confirm_without_reviews": True},
        content_type="application/json",
    )
    assert decided.status_code == 200 and decided.json()["pending_decision"] == "accept"
    assert decided.json()["status"] == "eligible"
    with django_capture_on_commit_callbacks(execute=True):
        released = admin_api.post(f"/api/v1/practice/cohorts/{slug}/decisions/release/")
    assert released.status_code == 200 and [a["status"] for a in released.json()["released"]] == ["accepted"]
    evaluations = lead_api.get(f"/api/v1/partners/{partner.slug}/evaluations/").json()["results"]
    assert [e["title"] for e in evaluations] == ["Strategy discussions"]


def test_api_validation_errors_are_400_with_field_messages(client, lead, partner):

    api = token_client(lead)
    response = api.post(f"/api/v1/partners/{partner.slug}/applications/", {"cohort": "nope"}, content_type="application/json")
    assert response.status_code == 400
    assert "practice_title" in response.json()


def without_csrf(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)


class TestOtherPartner:
    """The other partner's members get the same 404 as for something that does not exist."""

    def test_pages(self, client, other_lead, partner, cohort):
        application = factories.ApplicationFactory(partner=partner, cohort=cohort)
        client.force_login(other_lead)
        for url in [
            reverse("partner_home", args=[partner.slug]),
            reverse("partner_members", args=[partner.slug]),
            reverse("cohorts:application_detail", args=[partner.slug, application.code]),
            reverse("cohorts:application_create", args=[partner.slug, cohort.slug]),
        ]:
            assert client.get(url).status_code == 404, url
        missing = client.get(reverse("partner_home", args=["no-such-partner"]))
        theirs = client.get(reverse("partner_home", args=[partner.slug]))
        assert without_csrf(missing.content) == without_csrf(theirs.content)

    def test_api(self, client, other_lead, partner, cohort, other_partner):

        application = factories.ApplicationFactory(partner=partner, cohort=cohort)
        api = token_client(other_lead)
        for url in [
            f"/api/v1/partners/{partner.slug}/applications/",
            f"/api/v1/partners/{partner.slug}/applications/{application.code}/",
        ]:
            response = api.get(url)
            assert response.status_code == 404 and response.json() == {"detail": "Not found."}, url
        # Their own partner's URL with this partner's application code: still 404.
        assert api.get(f"/api/v1/partners/{other_partner.slug}/applications/{application.code}/").status_code == 404
        assert api.post(f"/api/v1/partners/{partner.slug}/applications/{application.code}/submit/").status_code == 404


def test_contributors_draft_but_only_the_lead_submits(client, contributor, partner, cohort):
    application = factories.CompleteApplicationFactory(partner=partner, cohort=cohort)
    client.force_login(contributor)
    url = reverse("cohorts:application_check", args=[partner.slug, application.code])
    assert "lead submits the application" in client.get(url).content.decode()
    assert client.post(url).status_code == 403
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT

    api = token_client(contributor)
    assert api.post(f"/api/v1/partners/{partner.slug}/applications/{application.code}/submit/").status_code == 403


def test_a_partnerships_agencies_are_listed_on_its_page(client, lead, partner):
    factories.PartnerAgencyFactory(partner=partner, name="Northshire Police", agency_type="police")
    factories.PartnerAgencyFactory(partner=partner, name="Northshire NHS Trust", agency_type="health")
    client.force_login(lead)
    page = client.get(reverse("partner_home", args=[partner.slug])).content.decode()
    assert "A partnership of Northshire NHS Trust and Northshire Police." in page
