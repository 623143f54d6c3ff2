"""Decisions: recorded as pending, previewed, released in bulk; the capacity; who may decide."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cohorts.models import Application, Decision
from cohorts.services import applications as services
from cohorts.services import decisions
from evaluations.models import Evaluation
from pine.models import AuditEvent, Notification
from tests import factories
from tests.cohorts.helpers import api_client, page_client, practice_page_client, without_csrf
from tests.cohorts.review_helpers import make_reviewed_cohort

pytestmark = pytest.mark.django_db

S = Application.Status


@pytest.fixture
def round_():
    """A cohort of two places with three screened applications, each partner with a lead."""
    cohort, applications, _ = make_reviewed_cohort(n_applications=3, reviewers=2, capacity=2)
    leads = [
        factories.MembershipFactory(partner=a.partner, role="lead", user__email=f"lead{i}@partner.example").user
        for i, a in enumerate(applications)
    ]
    return cohort, applications, leads


@pytest.fixture
def admin_client(practice_admin):
    return practice_page_client(practice_admin)


def record(admin, application, decision, note="", **kwargs):
    return decisions.decision_record(actor=admin, application=application, decision=decision, note=note, **kwargs)


def detail_url(application):
    return reverse("cohorts:application_detail", args=[application.partner.slug, application.code])


def api_detail(application):
    return f"/api/v1/partners/{application.partner.slug}/applications/{application.code}/"


def release_url(cohort):
    return reverse("cohorts:practice_decisions_release", args=[cohort.slug])


# --- pending decisions are the practice team's business ---------------------------------------------


def test_a_pending_decision_changes_nothing_the_applicant_sees(round_, practice_admin):
    cohort, applications, leads = round_
    record(practice_admin, applications[0], "accept", note="A secret note for now.")
    record(practice_admin, applications[1], "decline", note="Another secret.")
    for application, lead in zip(applications[:2], leads[:2]):
        page = page_client(lead).get(detail_url(application)).content.decode()
        assert ">Being reviewed</strong>" in page
        assert "secret" not in page and "Successful" not in page and "Not successful" not in page
        data = api_client(lead).get(api_detail(application)).json()
        assert data["status"] == "being_reviewed"
        assert "pending_decision" not in data and "decision_note" not in data and "secret" not in str(data)
    assert not Evaluation.objects.exists()
    assert mail.outbox == [] and not Notification.objects.exists()


def test_recording_a_decision_is_audited_and_can_be_changed_and_cleared(round_, practice_admin):
    _, applications, _ = round_
    application = record(practice_admin, applications[0], "accept", note="  Strong evidence.  ")
    assert application.pending_decision == Decision.ACCEPT and application.decision_note == "Strong evidence."
    assert application.decision_recorded_by == practice_admin and application.decision_recorded_at
    application = record(practice_admin, applications[0], "waiting_list")
    assert application.pending_decision == Decision.WAITING_LIST and application.status == S.ELIGIBLE
    application = decisions.decision_clear(actor=practice_admin, application=application)
    assert application.pending_decision == "" and application.decision_note == ""
    assert AuditEvent.objects.filter(action="application.decision_record", actor=practice_admin).count() == 2
    assert AuditEvent.objects.filter(action="application.decision_clear", actor=practice_admin).count() == 1
    with pytest.raises(ValidationError, match="no pending decision"):
        decisions.decision_clear(actor=practice_admin, application=application)


@pytest.mark.parametrize(
    "status, decision, allowed",
    [
        (S.SUBMITTED, "accept", False),
        (S.MORE_INFORMATION, "decline", False),
        (S.ELIGIBLE, "accept", True),
        (S.ELIGIBLE, "waiting_list", True),
        (S.ELIGIBLE, "decline", True),
        (S.INELIGIBLE, "decline", True),
        (S.INELIGIBLE, "accept", False),
        (S.INELIGIBLE, "waiting_list", False),
        (S.WAITING_LIST, "accept", True),
        (S.WAITING_LIST, "decline", True),
        (S.WAITING_LIST, "waiting_list", False),
        (S.ACCEPTED, "decline", False),
        (S.DECLINED, "accept", False),
        (S.WITHDRAWN, "accept", False),
    ],
)
def test_only_screened_and_waiting_list_applications_can_be_decided(practice_admin, status, decision, allowed):
    application = factories.CompleteApplicationFactory(status=status)
    if allowed:  # (no reviews here: confirmed, see test_a_decision_without_reviews_needs_confirming)
        assert record(practice_admin, application, decision, confirm_without_reviews=True).pending_decision == decision
    else:
        with pytest.raises(ValidationError):
            record(practice_admin, application, decision)
        application.refresh_from_db()
        assert application.pending_decision == ""


def test_an_unknown_decision_is_refused(round_, practice_admin):
    _, applications, _ = round_
    with pytest.raises(ValidationError) as error:
        record(practice_admin, applications[0], "maybe")
    assert "decision" in error.value.message_dict


# --- preview and release -----------------------------------------------------------------------------


def test_the_preview_lists_exactly_the_emails_a_release_sends(round_, practice_admin, django_capture_on_commit_callbacks):
    cohort, applications, leads = round_
    record(practice_admin, applications[0], "accept", note="Your evidence was the strongest.")
    record(practice_admin, applications[1], "decline", note="The outcomes could not be measured yet.")
    preview = decisions.decision_preview(actor=practice_admin, cohort=cohort)
    assert {(e.application.pk, e.decision) for e in preview} == {(applications[0].pk, "accept"), (applications[1].pk, "decline")}
    by_app = {e.application.pk: e for e in preview}
    accept, decline = by_app[applications[0].pk], by_app[applications[1].pk]
    assert accept.recipient_emails == [leads[0].email] and decline.recipient_emails == [leads[1].email]
    assert accept.subject == f"PINE: your application to {cohort.name} was successful"
    assert decline.subject == f"PINE: your application to {cohort.name} was not successful"
    assert "Your evidence was the strongest." in accept.body and "could not be measured" in decline.body
    assert "/p/" + applications[0].partner.slug + "/applications/" in accept.body

    with django_capture_on_commit_callbacks(execute=True):
        released = decisions.decisions_release(actor=practice_admin, cohort=cohort)
    assert {a.pk for a in released} == {applications[0].pk, applications[1].pk}
    sent = {(m.to[0], m.subject, m.body) for m in mail.outbox}
    assert sent == {(e.recipient_emails[0], e.subject, e.body) for e in preview}
    assert Notification.objects.filter(recipient=leads[0], subject=accept.subject).exists()


def test_releasing_changes_statuses_creates_evaluations_for_accepts_only_and_is_audited(
    round_, practice_admin, django_capture_on_commit_callbacks
):
    cohort, applications, leads = round_
    record(practice_admin, applications[0], "accept")
    record(practice_admin, applications[1], "waiting_list")
    record(practice_admin, applications[2], "decline")
    with django_capture_on_commit_callbacks(execute=True):
        decisions.decisions_release(actor=practice_admin, cohort=cohort)
    for application in applications:
        application.refresh_from_db()
        assert application.pending_decision == "" and application.decision_released_at and application.decided_at
    assert [a.status for a in applications] == [S.ACCEPTED, S.WAITING_LIST, S.DECLINED]
    assert list(Evaluation.objects.values_list("application", flat=True)) == [applications[0].pk]
    assert Evaluation.objects.get().partner == applications[0].partner
    assert len(mail.outbox) == 3
    assert AuditEvent.objects.filter(action="application.accept", partner=applications[0].partner).exists()
    assert AuditEvent.objects.filter(action="application.waiting_list", partner=applications[1].partner).exists()
    assert AuditEvent.objects.filter(action="application.decline", partner=applications[2].partner).exists()
    assert AuditEvent.objects.filter(action="cohort.decisions_release", partner=None).count() == 1
    for application, lead, shown in zip(applications, leads, ["Successful", "On the waiting list", "Not successful"]):
        assert f">{shown}</strong>" in page_client(lead).get(detail_url(application)).content.decode()
        assert api_client(lead).get(api_detail(application)).json()["status_label"] == shown


def test_a_second_release_does_nothing(round_, practice_admin, django_capture_on_commit_callbacks):
    cohort, applications, _ = round_
    record(practice_admin, applications[0], "accept")
    with django_capture_on_commit_callbacks(execute=True):
        assert len(decisions.decisions_release(actor=practice_admin, cohort=cohort)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert decisions.decisions_release(actor=practice_admin, cohort=cohort) == []
    assert len(mail.outbox) == 1 and Evaluation.objects.count() == 1
    assert AuditEvent.objects.filter(action="application.accept").count() == 1
    assert decisions.decision_preview(actor=practice_admin, cohort=cohort) == []


def test_releasing_only_touches_its_own_cohort(round_, practice_admin, django_capture_on_commit_callbacks):
    cohort, applications, _ = round_
    elsewhere = factories.CompleteApplicationFactory(status=S.ELIGIBLE)
    record(practice_admin, elsewhere, "accept", confirm_without_reviews=True)
    record(practice_admin, applications[0], "decline")
    with django_capture_on_commit_callbacks(execute=True):
        decisions.decisions_release(actor=practice_admin, cohort=cohort)
    elsewhere.refresh_from_db()
    assert elsewhere.status == S.ELIGIBLE and elsewhere.pending_decision == Decision.ACCEPT


def test_a_release_is_all_or_nothing_when_a_decision_no_longer_fits(round_, practice_admin, django_capture_on_commit_callbacks):
    cohort, applications, leads = round_
    record(practice_admin, applications[0], "accept")
    record(practice_admin, applications[1], "accept")
    services.application_withdraw(partner=applications[1].partner, actor=leads[1], application=applications[1])
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError, match="withdrawn"):
        decisions.decisions_release(actor=practice_admin, cohort=cohort)
    applications[0].refresh_from_db()
    assert applications[0].status == S.ELIGIBLE and not Evaluation.objects.exists() and mail.outbox == []
    # Clearing the withdrawn one lets the rest go.
    decisions.decision_clear(actor=practice_admin, application=applications[1])
    with django_capture_on_commit_callbacks(execute=True):
        assert [a.pk for a in decisions.decisions_release(actor=practice_admin, cohort=cohort)] == [applications[0].pk]


def test_the_waiting_list_can_be_accepted_later(round_, practice_admin, django_capture_on_commit_callbacks):
    cohort, applications, _ = round_
    record(practice_admin, applications[0], "waiting_list")
    decisions.decisions_release(actor=practice_admin, cohort=cohort)
    applications[0].refresh_from_db()
    record(practice_admin, applications[0], "accept")
    with django_capture_on_commit_callbacks(execute=True):
        decisions.decisions_release(actor=practice_admin, cohort=cohort)
    applications[0].refresh_from_db()
    assert applications[0].status == S.ACCEPTED and Evaluation.objects.filter(application=applications[0]).exists()


# --- capacity -----------------------------------------------------------------------------------------


def test_accepting_beyond_the_capacity_needs_confirmation(round_, practice_admin):
    cohort, applications, _ = round_  # two places
    record(practice_admin, applications[0], "accept")
    record(practice_admin, applications[1], "accept")
    with pytest.raises(ValidationError) as error:
        record(practice_admin, applications[2], "accept")
    message = error.value.message_dict["confirm_over_capacity"][0]
    assert "2 places: 0 accepted and 2 pending" in message and "makes 3" in message
    applications[2].refresh_from_db()
    assert applications[2].pending_decision == ""
    # Declining or waiting-listing needs no place; changing an accept already counted is fine.
    record(practice_admin, applications[2], "waiting_list")
    record(practice_admin, applications[1], "accept", note="Changed note.")
    record(practice_admin, applications[2], "accept", confirm_over_capacity=True)
    assert AuditEvent.objects.filter(action="application.decision_record", changes__confirm_over_capacity=True).exists()


def test_released_accepts_take_places_too(round_, practice_admin):
    cohort, applications, _ = round_
    record(practice_admin, applications[0], "accept")
    record(practice_admin, applications[1], "accept")
    decisions.decisions_release(actor=practice_admin, cohort=cohort)
    with pytest.raises(ValidationError, match="2 accepted and 0 pending"):
        record(practice_admin, applications[2], "accept")


def test_the_decision_page_explains_the_capacity_and_asks_for_confirmation(round_, admin_client, practice_admin):
    cohort, applications, _ = round_
    record(practice_admin, applications[0], "accept")
    record(practice_admin, applications[1], "accept")
    url = reverse("cohorts:practice_decision", args=[cohort.slug, applications[2].code])
    page = admin_client.get(url).content.decode()
    assert "2 of 2 places taken" in page and "would make 3 of 2 places" in page
    response = admin_client.post(url, {"decision": "accept", "note": ""})
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page and "Accepting this application makes 3" in page
    applications[2].refresh_from_db()
    assert applications[2].pending_decision == ""
    response = admin_client.post(url, {"decision": "accept", "note": "", "confirm_over_capacity": "on"})
    assert response.status_code == 302
    applications[2].refresh_from_db()
    assert applications[2].pending_decision == Decision.ACCEPT
    assert "3 of 2 places taken" in admin_client.get(reverse("cohorts:practice_decisions", args=[cohort.slug])).content.decode()


# --- pages ------------------------------------------------------------------------------------------


def test_deciding_previewing_and_releasing_on_the_pages(round_, admin_client, practice_admin, django_capture_on_commit_callbacks):
    cohort, applications, leads = round_
    decisions_url = reverse("cohorts:practice_decisions", args=[cohort.slug])
    page = admin_client.get(decisions_url).content.decode()
    assert "0 of 2 places taken" in page and "No decision is pending" in page
    for application, decision in zip(applications, ["accept", "waiting_list", "decline"]):
        url = reverse("cohorts:practice_decision", args=[cohort.slug, application.code])
        response = admin_client.post(url, {"decision": decision, "note": f"Note for {application.practice_title}."})
        assert response.status_code == 302 and response["Location"] == decisions_url
    page = admin_client.get(decisions_url).content.decode()
    assert "1 of 2 places taken" in page and "Preview the 3 emails" in page

    preview = admin_client.get(reverse("cohorts:practice_decisions_preview", args=[cohort.slug])).content.decode()
    for application, lead in zip(applications, leads):
        assert lead.email in preview and f"Note for {application.practice_title}." in preview
    assert "was successful" in preview and "is on the waiting list" in preview and "was not successful" in preview
    assert "Release 3 decisions and send the emails" in preview

    response = admin_client.post(release_url(cohort), {})
    assert response.status_code == 200 and "Confirm you have checked the emails" in response.content.decode()
    assert mail.outbox == [] and not Evaluation.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(release_url(cohort), {"confirm": "on"})
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == sorted(lead.email for lead in leads)
    assert Evaluation.objects.filter(application=applications[0]).exists() and Evaluation.objects.count() == 1
    page = admin_client.get(decisions_url).content.decode()
    assert "Released decisions" in page and "1 of 2 places taken" in page
    assert ">Successful</strong>" in page_client(leads[0]).get(detail_url(applications[0])).content.decode()


def test_clearing_on_the_page(round_, admin_client, practice_admin):
    cohort, applications, _ = round_
    record(practice_admin, applications[0], "decline")
    response = admin_client.post(reverse("cohorts:practice_decision_clear", args=[cohort.slug, applications[0].code]))
    assert response.status_code == 302
    applications[0].refresh_from_db()
    assert applications[0].pending_decision == ""
    response = admin_client.post(reverse("cohorts:practice_decision_clear", args=[cohort.slug, applications[0].code]))
    assert response.status_code == 302  # nothing to clear: a message, not an error


def test_the_decision_form_shows_errors_not_a_500(round_, admin_client):
    cohort, applications, _ = round_
    url = reverse("cohorts:practice_decision", args=[cohort.slug, applications[0].code])
    response = admin_client.post(url, {"decision": "nonsense"})
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    submitted = factories.CompleteApplicationFactory(cohort=cohort, status=S.SUBMITTED)
    url = reverse("cohorts:practice_decision", args=[cohort.slug, submitted.code])
    response = admin_client.post(url, {"decision": "accept"})
    assert response.status_code == 200 and "screen it first" in response.content.decode()


def test_an_application_of_another_cohort_is_404_on_the_decision_pages(round_, admin_client):
    cohort, _, _ = round_
    elsewhere = factories.CompleteApplicationFactory(status=S.ELIGIBLE)
    assert admin_client.get(reverse("cohorts:practice_decision", args=[cohort.slug, elsewhere.code])).status_code == 404
    assert admin_client.get(reverse("cohorts:practice_decisions", args=["no-such-cohort"])).status_code == 404


def test_the_practice_application_page_links_to_the_decision(round_, admin_client, practice_admin):
    cohort, applications, _ = round_
    record(practice_admin, applications[0], "waiting_list")
    page = admin_client.get(reverse("cohorts:practice_application", args=[applications[0].code])).content.decode()
    assert "Pending decision: Waiting list" in page
    assert reverse("cohorts:practice_decision", args=[cohort.slug, applications[0].code]) in page
    # The old one-step decision is gone: the application page takes no POST.
    response = admin_client.post(reverse("cohorts:practice_application", args=[applications[0].code]), {"decision": "accept"})
    assert response.status_code == 405


# --- the API ------------------------------------------------------------------------------------------


def test_deciding_previewing_and_releasing_through_the_api(round_, practice_admin, django_capture_on_commit_callbacks):
    cohort, applications, leads = round_
    api = api_client(practice_admin)
    url = f"/api/v1/practice/applications/{applications[0].code}/decision/"
    response = api.post(url, {"decision": "accept", "note": "Well done."}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["pending_decision"] == "accept" and response.json()["status"] == "eligible"
    assert api.post(url, {"decision": "maybe"}, content_type="application/json").json().keys() == {"decision"}
    for other in applications[1:]:
        api.post(
            f"/api/v1/practice/applications/{other.code}/decision/",
            {"decision": "accept", "confirm_over_capacity": other == applications[2]},
            content_type="application/json",
        )
    over = api.post(
        f"/api/v1/practice/applications/{applications[2].code}/decision/", {"decision": "accept"}, content_type="application/json"
    )
    assert over.status_code == 400 and "confirm_over_capacity" in over.json()
    assert api.delete(f"/api/v1/practice/applications/{applications[1].code}/decision/").json()["pending_decision"] == ""

    preview = api.get(f"/api/v1/practice/cohorts/{cohort.slug}/decisions/preview/").json()
    assert sorted(e["code"] for e in preview) == sorted(str(a.code) for a in (applications[0], applications[2]))
    assert next(e for e in preview if e["code"] == str(applications[0].code))["recipients"] == [leads[0].email]

    with django_capture_on_commit_callbacks(execute=True):
        released = api.post(f"/api/v1/practice/cohorts/{cohort.slug}/decisions/release/")
    assert released.status_code == 200 and len(released.json()["released"]) == 2
    assert {m.subject for m in mail.outbox} == {e["subject"] for e in preview}
    again = api.post(f"/api/v1/practice/cohorts/{cohort.slug}/decisions/release/")
    assert again.status_code == 200 and again.json() == {"released": []}


# --- who may decide ----------------------------------------------------------------------------------


def test_only_practice_admins_record_clear_and_release(round_, practice_admin):
    cohort, applications, _ = round_
    analyst = factories.PracticeUserFactory(practice_role="analyst")
    reviewer = factories.ReviewerFactory()
    record(practice_admin, applications[1], "decline")
    for user in (analyst, reviewer):
        with pytest.raises(PermissionDenied):
            record(user, applications[0], "accept")
        with pytest.raises(PermissionDenied):
            decisions.decision_clear(actor=user, application=applications[1])
        with pytest.raises(PermissionDenied):
            decisions.decisions_release(actor=user, cohort=cohort)
        client = practice_page_client(user)
        decision_url = reverse("cohorts:practice_decision", args=[cohort.slug, applications[0].code])
        assert client.get(decision_url).status_code == 403
        assert client.post(decision_url, {"decision": "accept"}).status_code == 403
        assert (
            client.post(reverse("cohorts:practice_decision_clear", args=[cohort.slug, applications[1].code])).status_code == 403
        )
        assert client.post(release_url(cohort), {"confirm": "on"}).status_code == 403
        api = api_client(user)
        url = f"/api/v1/practice/applications/{applications[0].code}/decision/"
        assert api.post(url, {"decision": "accept"}, content_type="application/json").status_code == 403
        assert api.post(f"/api/v1/practice/cohorts/{cohort.slug}/decisions/release/").status_code == 403
    with pytest.raises(PermissionDenied):
        decisions.decision_preview(actor=reviewer, cohort=cohort)
    applications[0].refresh_from_db()
    applications[1].refresh_from_db()
    assert applications[0].pending_decision == "" and applications[1].pending_decision == Decision.DECLINE
    assert applications[1].status == S.ELIGIBLE


def test_analysts_see_the_decisions_and_preview_without_the_controls(round_, practice_admin):
    cohort, applications, _ = round_
    record(practice_admin, applications[0], "accept")
    client = practice_page_client(factories.PracticeUserFactory(practice_role="analyst"))
    page = client.get(reverse("cohorts:practice_decisions", args=[cohort.slug])).content.decode()
    assert "Accept</strong>" in page and "Record a decision" not in page
    preview = client.get(reverse("cohorts:practice_decisions_preview", args=[cohort.slug])).content.decode()
    assert "was successful" in preview and "Release 1 decision" not in preview


def test_reviewers_cannot_see_the_decisions(round_):
    cohort, _, _ = round_
    client = practice_page_client(factories.ReviewerFactory())
    assert client.get(reverse("cohorts:practice_decisions", args=[cohort.slug])).status_code == 403
    assert client.get(reverse("cohorts:practice_decisions_preview", args=[cohort.slug])).status_code == 403


def test_partner_users_get_404_on_every_decision_page_and_endpoint(round_, other_lead):
    cohort, applications, leads = round_
    page_urls = [
        reverse("cohorts:practice_decisions", args=[cohort.slug]),
        reverse("cohorts:practice_decisions_preview", args=[cohort.slug]),
        reverse("cohorts:practice_decision", args=[cohort.slug, applications[0].code]),
    ]
    for user in (leads[0], other_lead):  # the applicant's own lead and another partner's
        client = page_client(user)
        for url in page_urls:
            assert client.get(url).status_code == 404, url
        assert client.post(release_url(cohort), {"confirm": "on"}).status_code == 404
        api = api_client(user)
        assert api.get(f"/api/v1/practice/cohorts/{cohort.slug}/decisions/preview/").status_code == 404
        assert api.post(f"/api/v1/practice/cohorts/{cohort.slug}/decisions/release/").status_code == 404
        url = f"/api/v1/practice/applications/{applications[0].code}/decision/"
        assert api.post(url, {"decision": "accept"}, content_type="application/json").status_code == 404
    applications[0].refresh_from_db()
    assert applications[0].pending_decision == ""


def test_another_partner_gets_the_same_404_for_the_applicants_pages(round_, practice_admin, other_lead):
    _, applications, _ = round_
    record(practice_admin, applications[0], "accept")
    client = page_client(other_lead)
    theirs = client.get(detail_url(applications[0]))
    missing = client.get(reverse("cohorts:application_detail", args=[applications[0].partner.slug, Application().code]))
    assert theirs.status_code == missing.status_code == 404
    assert without_csrf(theirs.content) == without_csrf(missing.content)
    assert api_client(other_lead).get(api_detail(applications[0])).status_code == 404
