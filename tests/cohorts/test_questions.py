"""'More information requested' as a thread of questions and answers on the application: kept in
its history, shown to both sides, with "Response received" for the practice team."""

import pytest
from django.core import mail
from django.urls import reverse

from cohorts.models import Application, ApplicationMessage, Cohort
from cohorts.services import applications as services
from pine.models import Notification
from tests import factories
from tests.cohorts.helpers import api_client, page_client, practice_page_client
from tests.conftest import in_scope_of

pytestmark = pytest.mark.django_db

QUESTION = "How many families did you offer a meeting last year?"


@pytest.fixture
def asked(partner, lead, practice_admin):
    cohort = factories.CohortFactory(status=Cohort.Status.REVIEWING, name="Round 12")
    application = factories.CompleteApplicationFactory(
        partner=partner, cohort=cohort, created_by=lead, status=Application.Status.SUBMITTED, practice_title="Family hubs"
    )
    services.application_request_information(actor=practice_admin, application=application, question=QUESTION)
    return application


def _detail(application):
    return reverse("cohorts:application_detail", args=[application.partner.slug, application.code])


def _check(application):
    return reverse("cohorts:application_check", args=[application.partner.slug, application.code])


def test_the_question_is_a_message_shown_to_both_sides(asked, lead, practice_admin):
    (question,) = ApplicationMessage.objects.filter(application=asked)
    assert (question.kind, question.body, question.author, question.answered_at) == ("question", QUESTION, practice_admin, None)
    partner_page = page_client(lead).get(_detail(asked)).content.decode()
    assert "The practice team asked" in partner_page and QUESTION in partner_page and "Waiting for an answer" in partner_page
    assert f"{_check(asked)}#answer" in partner_page
    practice_page = (
        practice_page_client(practice_admin).get(reverse("cohorts:practice_application", args=[asked.code])).content.decode()
    )
    assert "You asked" in practice_page and QUESTION in practice_page


def test_the_lead_answers_and_resubmits_and_the_thread_stays(
    asked, lead, partner, practice_admin, django_capture_on_commit_callbacks
):
    client = page_client(lead)
    check = client.get(_check(asked)).content.decode()
    assert "Your answer to the practice team" in check and QUESTION in check
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_check(asked), {"answer": "We offered 212 families a meeting."}, follow=True)
    assert "Your response is sent" in response.content.decode()
    asked.refresh_from_db()
    assert asked.status == Application.Status.SUBMITTED
    with in_scope_of(None):
        question, answer = ApplicationMessage.objects.filter(application=asked).order_by("created_at", "pk")
    assert question.answered_at == asked.submitted_at
    assert (answer.kind, answer.body, answer.in_reply_to, answer.author) == (
        "answer",
        "We offered 212 families a meeting.",
        question,
        lead,
    )
    # Both sides still see the thread after resubmission.
    partner_page = client.get(_detail(asked)).content.decode()
    assert QUESTION in partner_page and "You answered" in partner_page and "212 families" in partner_page
    with in_scope_of(None):
        practice_page = (
            practice_page_client(practice_admin).get(reverse("cohorts:practice_application", args=[asked.code])).content.decode()
        )
        assert "Response received" in practice_page and f"{partner.name} answered" in practice_page
        told = Notification.objects.get(recipient=practice_admin, subject__startswith="Response received")
    assert told.link == reverse("cohorts:practice_application", args=[asked.code])
    assert any("We offered 212 families a meeting." in m.body for m in mail.outbox if practice_admin.email in m.to)


def test_resubmitting_through_the_api_without_words_still_marks_the_response_received(asked, lead, partner):
    response = api_client(lead).post(f"/api/v1/partners/{partner.slug}/applications/{asked.code}/submit/")
    assert response.status_code == 200
    (question,) = ApplicationMessage.objects.filter(application=asked)
    assert question.answered_at is not None and not question.replies.exists()


def test_another_partner_reads_no_message(asked, other_partner):
    with in_scope_of(other_partner):
        assert not ApplicationMessage.objects.exists()


# --- a PDF copy of what was submitted ---------------------------------------------------------------


def test_the_partner_downloads_a_pdf_copy_of_what_it_submitted(lead, partner, other_lead):
    application = factories.CompleteApplicationFactory(partner=partner, created_by=lead, practice_title="Family hubs")
    services.application_submit(partner=partner, actor=lead, application=application)
    client = page_client(lead)
    detail = client.get(_detail(application)).content.decode()
    url = reverse("cohorts:application_pdf", args=[partner.slug, application.code, 1])
    assert f'href="{url}"' in detail
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and 'filename="family-hubs-version-1.pdf"' in response["Content-Disposition"]
    assert client.get(reverse("cohorts:application_pdf", args=[partner.slug, application.code, 2])).status_code == 404
    import os

    if os.environ.get("PINE_SCREENSHOTS"):  # for a person to look at
        with open(os.path.join(os.environ["PINE_SCREENSHOTS"], "application-copy.pdf"), "wb") as f:
            f.write(response.content)
    # Another partner's lead: the same 404 as a missing application.
    assert page_client(other_lead).get(url).status_code == 404
