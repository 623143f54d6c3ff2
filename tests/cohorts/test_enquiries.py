"""'Discuss your application': a message to the practice team on an open call, from a visitor
(with an email address, rate-limited) or a partner's member, answered from the practice team's
work queue, and kept with the partner's application once it exists."""

import pytest
from django.core import mail
from django.urls import reverse

from cohorts.models import CallEnquiry, Cohort
from cohorts.services import applications as application_services
from cohorts.services import enquiries as services
from reports.queues import work_queue
from tests import factories
from tests.cohorts.helpers import page_client, practice_page_client
from tests.conftest import in_scope_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort():
    return factories.CohortFactory(name="Round 14", slug="round-14")


def _visitor(**changes):
    return {
        "name": "Sam Patel",
        "email": "sam.patel@council.example",
        "organisation": "Eastshire County Council",
        "body": "Can a youth justice service lead the application?",
        **changes,
    }


def test_a_visitor_sends_a_message_from_the_open_call(cohort, practice_admin, client, django_capture_on_commit_callbacks):
    page = client.get(reverse("cohorts:public_detail", args=[cohort.slug])).content.decode()
    url = reverse("cohorts:public_enquiry", args=[cohort.slug])
    assert f'href="{url}"' in page and "Discuss your application" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, _visitor(), follow=True)
    assert "Your message is sent" in response.content.decode()
    with in_scope_of(None):
        enquiry = CallEnquiry.objects.get()
    assert (enquiry.partner, enquiry.email, enquiry.cohort) == (None, "sam.patel@council.example", cohort)
    assert sorted(m.subject for m in mail.outbox) == [
        "New message about Round 14 from Sam Patel",  # to the practice admins
        "We have your message about Round 14",  # the sender's copy
    ]


def test_a_visitors_message_needs_an_email_address_and_words(cohort, client):
    html = client.post(reverse("cohorts:public_enquiry", args=[cohort.slug]), _visitor(email="", body="")).content.decode()
    assert "Enter your email address" in html and "Enter your message" in html


def test_messages_are_rate_limited_like_event_registrations(cohort, client):
    url = reverse("cohorts:public_enquiry", args=[cohort.slug])
    for _ in range(services.ENQUIRY_LIMITS[0].count):
        assert client.post(url, _visitor()).status_code == 302
    refused = client.post(url, _visitor())
    assert refused.status_code == 200 and "too many messages" in refused.content.decode()


def test_a_closed_call_takes_no_message(client):
    closed = factories.CohortFactory(status=Cohort.Status.REVIEWING)
    assert client.get(reverse("cohorts:public_enquiry", args=[closed.slug])).status_code == 404


def test_the_practice_team_replies_from_the_work_queue(cohort, practice_admin, django_capture_on_commit_callbacks):
    services.enquiry_send(cohort=cohort, **_visitor())
    enquiry = CallEnquiry.objects.get()
    (section,) = [s for s in work_queue(user=practice_admin) if s.key == "enquiries"]
    (item,) = section.items
    assert item.link == reverse("cohorts:practice_enquiry", args=[enquiry.code]) and "not registered" in item.partner
    client = practice_page_client(practice_admin)
    assert "Can a youth justice service lead" in client.get(item.link).content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(item.link, {"reply": "Yes, if it is a statutory service."})
    assert response.status_code == 302
    (reply,) = mail.outbox
    assert reply.to == ["sam.patel@council.example"] and "Yes, if it is a statutory service." in reply.body
    assert not [s for s in work_queue(user=practice_admin) if s.key == "enquiries"][0].items


def test_a_partners_messages_are_kept_with_its_application(
    cohort, partner, lead, other_lead, practice_admin, django_capture_on_commit_callbacks
):
    client = page_client(lead)
    url = reverse("cohorts:partner_enquiry", args=[partner.slug, cohort.slug])
    assert client.post(url, {"body": "Is our data enough?"}).status_code == 302
    with in_scope_of(None):
        enquiry = CallEnquiry.objects.get()
        services.enquiry_reply(actor=practice_admin, enquiry=enquiry, reply="Tell us what you hold.")
    assert (enquiry.partner, enquiry.author, enquiry.email) == (partner, lead, lead.email)
    page = client.get(url).content.decode()
    assert "Is our data enough?" in page and "Tell us what you hold." in page
    # Once it applies, the conversation shows with the application, on both sides.
    application = application_services.application_create(partner=partner, actor=lead, cohort=cohort, practice_title="Hubs")
    detail = client.get(reverse("cohorts:application_detail", args=[partner.slug, application.code])).content.decode()
    assert "Messages before applying" in detail and "Tell us what you hold." in detail
    with in_scope_of(None):
        practice = practice_page_client(practice_admin).get(reverse("cohorts:practice_application", args=[application.code]))
        assert "Is our data enough?" in practice.content.decode()
    # Another partner sees none of it.
    assert (
        "Is our data enough?"
        not in page_client(other_lead)
        .get(reverse("cohorts:partner_enquiry", args=[other_lead.memberships.first().partner.slug, cohort.slug]))
        .content.decode()
    )
