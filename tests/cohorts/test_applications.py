"""Applications in sections: the task list, each section's own validation, "check your answers",
the deadline and its extension, and who may do what."""

from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Application, Cohort
from cohorts.services import applications as services
from pine.models import AgencyType, AuditEvent
from tests import factories
from tests.cohorts.helpers import api_client, page_client, practice_page_client, without_csrf

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort():
    return factories.CohortFactory(name="Round 3", slug="round-3")


@pytest.fixture
def draft(partner, lead, cohort):
    return factories.ApplicationFactory(
        partner=partner, cohort=cohort, created_by=lead, status=Application.Status.DRAFT, submitted_at=None
    )


@pytest.fixture
def complete(partner, lead, cohort):
    return factories.CompleteApplicationFactory(partner=partner, cohort=cohort, created_by=lead)


def section_url(application, slug):
    return reverse("cohorts:application_section", args=[application.partner.slug, application.code, slug])


def test_the_task_list_shows_each_section_completed_or_incomplete(lead, draft):
    page = page_client(lead).get(reverse("cohorts:application_detail", args=[draft.partner.slug, draft.code])).content.decode()
    assert 'class="govuk-task-list"' in page
    # practice_title and practice_summary come from the thin slice; evidence is still missing.
    assert page.count("Incomplete</strong>") == 7 and "You have completed 0 of 7 sections" in page
    assert "How the agencies work together" not in page


def test_joint_working_is_asked_only_in_a_multi_agency_cohort(lead, partner):
    single = factories.CompleteApplicationFactory(partner=partner, created_by=lead)
    multi = factories.CompleteApplicationFactory(partner=partner, created_by=lead, cohort__multi_agency=True)
    client = page_client(lead)
    assert client.get(section_url(single, "joint-working")).status_code == 404
    assert client.get(section_url(multi, "joint-working")).status_code == 200
    assert [s.slug for s in multi.sections()].count("joint-working") == 1
    multi.joint_working = ""
    assert [s.slug for s in multi.incomplete_sections()] == ["joint-working"]
    assert single.incomplete_sections() == []


def test_a_section_saves_and_returns_to_the_task_list(contributor, draft):
    response = page_client(contributor).post(
        section_url(draft, "children"), {"children_description": "Families at the front door.", "children_count": "1,2"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert "Enter the number of children as a whole number, like 120" in page
    assert 'href="#id_children_count"' in page  # the summary links to the field
    response = page_client(contributor).post(
        section_url(draft, "children"), {"children_description": "Families at the front door.", "children_count": "120"}
    )
    assert response.url == reverse("cohorts:application_detail", args=[draft.partner.slug, draft.code])
    draft.refresh_from_db()
    assert (draft.children_description, draft.children_count) == ("Families at the front door.", 120)
    event = AuditEvent.objects.filter(action="application.update", object_code=str(draft.code)).latest("created_at")
    assert event.changes["children_count"] == [None, 120]


@pytest.mark.parametrize(
    "slug, message",
    [
        ("partnership", "Confirm the agencies listed are the partnership applying"),
        ("practice", "Enter why the practice is promising"),
        ("children", "Enter how many children a year the practice serves"),
        ("outcomes", "Choose at least one outcome measure"),
        ("data", "Enter your case management and data systems"),
        ("readiness", "Select yes if an analyst can work on the evaluation"),
        ("data-protection", "Enter your safeguarding arrangements"),
    ],
)
def test_each_section_validates_on_its_own(lead, draft, slug, message):
    response = page_client(lead).post(section_url(draft, slug), {})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in page and "govuk-error-summary" in page and message in page


def test_outcomes_are_chosen_from_the_measure_library(lead, draft):
    client = page_client(lead)
    form = client.get(section_url(draft, "outcomes")).content.decode()
    assert 'value="re_referrals_12m"' in form
    response = client.post(section_url(draft, "outcomes"), {"outcome_measures": ["not_a_measure"]})
    assert "Select a valid choice" in response.content.decode()
    client.post(
        section_url(draft, "outcomes"), {"outcome_measures": ["re_referrals_12m", "cp_plans_rate"], "outcomes_summary": "x"}
    )
    draft.refresh_from_db()
    assert draft.outcome_measures == ["re_referrals_12m", "cp_plans_rate"]


def test_the_service_refuses_a_code_outside_the_library(lead, draft):
    with pytest.raises(ValidationError, match="Not in the measure library"):
        services.application_update(partner=draft.partner, actor=lead, application=draft, outcome_measures=["made_up"])


def test_the_partnership_section_shows_the_agencies_from_the_partner(lead, draft):
    factories.PartnerAgencyFactory(partner=draft.partner, name="Northshire Police", agency_type="police")
    page = page_client(lead).get(section_url(draft, "partnership")).content.decode()
    assert "Northshire Police (Police)" in page and "Local authority children&#x27;s services" in page


def test_check_your_answers_has_change_links_and_the_submit_button_for_the_lead(lead, complete):
    page = (
        page_client(lead).get(reverse("cohorts:application_check", args=[complete.partner.slug, complete.code])).content.decode()
    )
    assert page.count(">Change<span") == 8  # the 7 sections and the letters of support
    assert section_url(complete, "data-protection") in page
    assert "Submit application" in page and "Re-referrals" in page  # the measure's name, not its code


def test_submission_needs_every_section_and_a_measurable_outcome(lead, complete):
    complete.outcome_measures = []
    complete.save()
    page = (
        page_client(lead).get(reverse("cohorts:application_check", args=[complete.partner.slug, complete.code])).content.decode()
    )
    assert "Before you can submit" in page and "Submit application" not in page
    with pytest.raises(ValidationError) as error:
        services.application_submit(partner=complete.partner, actor=lead, application=complete)
    assert "Choose at least one outcome you can measure." in error.value.messages
    assert "Complete the section “Outcomes it aims to change”." in error.value.messages


def test_a_non_statutory_lead_agency_cannot_submit(lead, complete):
    complete.partner.lead_agency_type = AgencyType.VOLUNTARY
    complete.partner.save()
    with pytest.raises(ValidationError, match="statutory"):
        services.application_submit(partner=complete.partner, actor=lead, application=complete)


def test_submitting_stores_revision_one(lead, complete):
    services.application_submit(partner=complete.partner, actor=lead, application=complete)
    revision = complete.revisions.get()
    assert revision.number == 1 and revision.partner == complete.partner and revision.submitted_by == lead
    assert revision.answers["children_count"] == 240 and revision.answers["outcome_measures"] == ["re_referrals_12m"]


def test_a_submitted_application_cannot_be_changed(lead, complete):
    services.application_submit(partner=complete.partner, actor=lead, application=complete)
    client = page_client(lead)
    response = client.post(
        section_url(complete, "practice"), {"practice_title": "Changed", "practice_summary": "x", "practice_evidence": "y"}
    )
    assert "can no longer be changed" in response.content.decode()
    with pytest.raises(ValidationError):
        services.application_update(partner=complete.partner, actor=lead, application=complete, practice_title="Changed")
    complete.refresh_from_db()
    assert complete.practice_title != "Changed"


# --- stages and the deadline --------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["draft", "reviewing", "decided", "active", "closed"])
def test_applicants_create_edit_and_submit_only_while_the_cohort_is_open(lead, partner, stage):
    cohort = factories.CohortFactory(status=stage)
    with pytest.raises(ValidationError, match="not open"):
        services.application_create(partner=partner, actor=lead, cohort=cohort, practice_title="x")
    application = factories.CompleteApplicationFactory(partner=partner, cohort=cohort, created_by=lead)
    with pytest.raises(ValidationError, match="not open"):
        services.application_update(partner=partner, actor=lead, application=application, practice_title="y")
    with pytest.raises(ValidationError, match="not open"):
        services.application_submit(partner=partner, actor=lead, application=application)


def test_after_the_deadline_nothing_changes_without_an_extension(lead, complete):
    Cohort.objects.filter(pk=complete.cohort_id).update(deadline_at=timezone.now() - timedelta(minutes=1))
    complete.refresh_from_db()
    page = page_client(lead).get(section_url(complete, "practice")).content.decode()
    assert "The deadline for Round 3 has passed." in page and "Save and continue" not in page
    with pytest.raises(ValidationError, match="deadline"):
        services.application_update(partner=complete.partner, actor=lead, application=complete, practice_title="Late")
    with pytest.raises(ValidationError, match="deadline"):
        services.application_submit(partner=complete.partner, actor=lead, application=complete)


def test_an_extension_lets_one_application_submit_after_the_deadline(practice_admin, lead, complete, other_partner):
    other = factories.CompleteApplicationFactory(partner=other_partner, cohort=complete.cohort)
    Cohort.objects.filter(pk=complete.cohort_id).update(deadline_at=timezone.now() - timedelta(minutes=1))
    complete.refresh_from_db()
    until = timezone.localtime(timezone.now() + timedelta(days=3))
    client = practice_page_client(practice_admin)
    page = client.get(reverse("cohorts:practice_application", args=[complete.code])).content.decode()
    assert 'name="extend_deadline-until-day"' in page and 'name="extend_deadline-until-hour"' in page
    assert "Leave the time empty for 23:59" in page and 'type="datetime-local"' not in page
    response = client.post(
        reverse("cohorts:practice_extend_deadline", args=[complete.code]),
        {
            "extend_deadline-until-day": str(until.day),
            "extend_deadline-until-month": str(until.month),
            "extend_deadline-until-year": str(until.year),
            "extend_deadline-until-hour": "",  # no time: the end of that day, UK time
            "extend_deadline-until-minute": "",
            "extend_deadline-reason": "IT outage",
        },
    )
    assert response.status_code == 302
    complete.refresh_from_db()
    assert complete.deadline_extension_reason == "IT outage" and complete.deadline() > timezone.now()
    assert timezone.localtime(complete.deadline_extended_to).replace(tzinfo=None) == datetime.combine(until.date(), time(23, 59))
    event = AuditEvent.objects.get(action="application.extend_deadline", object_code=str(complete.code))
    assert event.actor == practice_admin and event.partner == complete.partner
    services.application_submit(partner=complete.partner, actor=lead, application=complete)
    with pytest.raises(ValidationError, match="deadline"):  # the other partner has no extension
        services.application_submit(partner=other_partner, actor=lead, application=other)


def test_an_extension_outlives_the_move_to_reviewing_but_not_beyond(practice_admin, lead, complete):
    services.application_extend_deadline(
        actor=practice_admin, application=complete, until=complete.cohort.deadline_at + timedelta(days=7), reason="Illness"
    )
    Cohort.objects.filter(pk=complete.cohort_id).update(
        status=Cohort.Status.REVIEWING, deadline_at=timezone.now() - timedelta(minutes=1)
    )
    complete.refresh_from_db()
    assert complete.edit_refusal() is None
    Cohort.objects.filter(pk=complete.cohort_id).update(status=Cohort.Status.DECIDED)
    complete.refresh_from_db()
    with pytest.raises(ValidationError, match="not open"):
        services.application_submit(partner=complete.partner, actor=lead, application=complete)


def test_an_extension_needs_a_reason_and_a_later_date(practice_admin, complete):
    client = practice_page_client(practice_admin)
    response = client.post(
        reverse("cohorts:practice_extend_deadline", args=[complete.code]),
        {"extend_deadline-until": "", "extend_deadline-reason": ""},
    )
    page = response.content.decode()
    assert "Enter the reason for the extension" in page and "There is a problem" in page
    with pytest.raises(ValidationError, match="after the cohort"):
        services.application_extend_deadline(
            actor=practice_admin, application=complete, until=complete.cohort.deadline_at - timedelta(days=1), reason="x"
        )


def test_only_practice_admins_extend_deadlines(complete, lead):
    reviewer = factories.PracticeUserFactory(practice_role="reviewer")
    until = timezone.now() + timedelta(days=40)
    with pytest.raises(PermissionDenied):
        services.application_extend_deadline(actor=reviewer, application=complete, until=until, reason="x")
    response = practice_page_client(reviewer).post(
        reverse("cohorts:practice_extend_deadline", args=[complete.code]),
        {"extend_deadline-until": "2030-01-01T09:00", "extend_deadline-reason": "x"},
    )
    assert response.status_code == 403
    api = api_client(reviewer)
    response = api.post(
        f"/api/v1/practice/applications/{complete.code}/extend-deadline/", {"until": until.isoformat(), "reason": "x"}
    )
    assert response.status_code == 403
    admin = factories.PracticeUserFactory()
    response = api_client(admin).post(
        f"/api/v1/practice/applications/{complete.code}/extend-deadline/",
        {"until": until.isoformat(), "reason": "Illness"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["deadline_extension_reason"] == "Illness"


# --- who may do what -------------------------------------------------------------------------------


def test_viewers_read_but_cannot_change_or_submit(viewer, complete):
    client = page_client(viewer)
    assert client.get(reverse("cohorts:application_detail", args=[complete.partner.slug, complete.code])).status_code == 200
    assert client.post(section_url(complete, "practice"), {"practice_title": "x"}).status_code == 403
    assert client.post(reverse("cohorts:application_check", args=[complete.partner.slug, complete.code])).status_code == 403
    api = api_client(viewer)
    base = f"/api/v1/partners/{complete.partner.slug}/applications/{complete.code}/"
    assert api.get(base).status_code == 200
    assert api.patch(base, {"practice_title": "x"}, content_type="application/json").status_code == 403
    assert api.post(base + "submit/").status_code == 403


def test_contributors_save_sections_but_only_leads_submit(contributor, complete):
    client = page_client(contributor)
    response = client.post(section_url(complete, "data"), {"data_available": "More data.", "data_systems": "Mosaic."})
    assert response.status_code == 302
    assert client.post(reverse("cohorts:application_check", args=[complete.partner.slug, complete.code])).status_code == 403
    api = api_client(contributor)
    base = f"/api/v1/partners/{complete.partner.slug}/applications/{complete.code}/"
    assert api.patch(base, {"staff_time": "Three days."}, content_type="application/json").status_code == 200
    assert api.post(base + "submit/").status_code == 403
    complete.refresh_from_db()
    assert complete.status == Application.Status.DRAFT and complete.staff_time == "Three days."


def test_the_api_saves_answers_and_shows_sections(lead, draft):
    api = api_client(lead)
    base = f"/api/v1/partners/{draft.partner.slug}/applications/{draft.code}/"
    response = api.patch(base, {"outcome_measures": ["re_referrals_12m"], "children_count": 0}, content_type="application/json")
    assert response.status_code == 400 and "children_count" in response.json()
    response = api.patch(base, {"outcome_measures": ["nope"]}, content_type="application/json")
    assert response.status_code == 400 and "outcome_measures" in response.json()
    response = api.patch(base, {"outcome_measures": ["re_referrals_12m"]}, content_type="application/json")
    sections = {s["slug"]: s["complete"] for s in response.json()["sections"]}
    assert sections["outcomes"] is True and sections["data"] is False
    refused = api.post(base + "submit/")
    assert refused.status_code == 400 and any("Complete the section" in m for m in refused.json()["non_field_errors"])


class TestOtherPartner:
    """Another partner's members get the same 404 as for something missing, by page and API."""

    def test_pages(self, other_lead, other_partner, complete):
        client = page_client(other_lead)
        slug, code = complete.partner.slug, complete.code
        urls = [
            reverse("cohorts:application_detail", args=[slug, code]),
            section_url(complete, "practice"),
            reverse("cohorts:application_check", args=[slug, code]),
            reverse("cohorts:application_withdraw", args=[slug, code]),
            reverse("cohorts:application_compare", args=[slug, code]),
        ]
        for url in urls:
            assert client.get(url).status_code == 404, url
            assert client.post(url, {"confirm": "yes"}).status_code == 404, url
        own = other_partner.slug
        missing = client.get(reverse("cohorts:application_detail", args=[own, code]))
        theirs = client.get(urls[0])
        assert missing.status_code == 404 and without_csrf(missing.content) == without_csrf(theirs.content)
        complete.refresh_from_db()
        assert complete.status == Application.Status.DRAFT

    def test_api(self, other_lead, other_partner, complete):
        api = api_client(other_lead)
        own = other_partner.slug
        for slug in (complete.partner.slug, own):
            base = f"/api/v1/partners/{slug}/applications/{complete.code}/"
            for method, url in [
                ("get", base),
                ("patch", base),
                ("post", base + "submit/"),
                ("post", base + "withdraw/"),
                ("get", base + "revisions/"),
                ("get", base + "revisions/compare/"),
            ]:
                response = getattr(api, method)(url, {}, content_type="application/json")
                assert response.status_code == 404 and response.json() == {"detail": "Not found."}, (method, url)


@pytest.mark.parametrize(("typed", "stored"), [("6,412", 6412), ("6 412", 6412), ("1,000,000", 1_000_000), (" 120 ", 120)])
def test_numbers_with_thousands_separators_are_accepted(contributor, draft, typed, stored):
    response = page_client(contributor).post(
        section_url(draft, "children"), {"children_description": "Families.", "children_count": typed}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.children_count == stored


def test_check_your_answers_lists_each_agency_with_its_type_and_the_real_lead(lead, partner, complete):
    partner.agencies.all().delete()
    factories.PartnerAgencyFactory(
        partner=partner, name="Northmoor Council", agency_type=AgencyType.LOCAL_AUTHORITY, is_lead=True
    )
    factories.PartnerAgencyFactory(partner=partner, name="Kestrel Police", agency_type=AgencyType.POLICE)
    factories.PartnerAgencyFactory(partner=partner, name="Hope Trust", agency_type=AgencyType.VOLUNTARY)
    html = page_client(lead).get(reverse("cohorts:application_check", args=[partner.slug, complete.code])).content.decode()
    lead_cell = html.split('id="lead-agency">', 1)[1].split("</dd>", 1)[0]
    assert lead_cell == "Northmoor Council (Local authority children&#x27;s services)"
    others = html.split('id="other-agencies">', 1)[1].split("</dd>", 1)[0]
    assert "Kestrel Police (Police)" in others and "Hope Trust (Voluntary or community organisation)" in others
    assert "Northmoor Council" not in others
