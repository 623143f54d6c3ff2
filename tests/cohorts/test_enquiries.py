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


# --- a visitor's messages, kept with the application of the partner whose member sent them --------


def _application_pages(partner, lead, practice_admin, application) -> tuple[str, str]:
    """The partner's application page (as its lead) and the practice team's."""
    with in_scope_of(partner):
        mine = page_client(lead).get(reverse("cohorts:application_detail", args=[partner.slug, application.code]))
    with in_scope_of(None):
        practice = practice_page_client(practice_admin).get(reverse("cohorts:practice_application", args=[application.code]))
    assert mine.status_code == practice.status_code == 200
    return mine.content.decode(), practice.content.decode()


def test_a_visitors_messages_join_the_application_once_their_address_is_a_members_account(
    cohort, partner, lead, other_partner, other_lead, practice_admin
):
    # Before anyone has an account: sam writes twice without signing in (in another case), a
    # stranger once, and sam once about another call.
    services.enquiry_send(cohort=cohort, **_visitor(email="Sam.Patel@Council.Example", body="First: who can lead?"))
    services.enquiry_send(cohort=cohort, **_visitor(name="Stranger", email="someone@else.example", body="Stranger's question"))
    other_call = factories.CohortFactory(name="Round 15", slug="round-15")
    services.enquiry_send(cohort=other_call, **_visitor(body="About round 15"))
    with in_scope_of(partner):
        services.enquiry_send(cohort=cohort, partner=partner, actor=lead, body="Second: is our data enough?")
    ours = factories.ApplicationFactory(partner=partner, cohort=cohort, status="draft", submitted_at=None)
    theirs = factories.ApplicationFactory(partner=other_partner, cohort=cohort, status="draft", submitted_at=None)

    mine, practice = _application_pages(partner, lead, practice_admin, ours)
    assert "Second: is our data enough?" in mine and "First: who can lead?" not in mine  # sam has no account yet

    # sam joins the partner: the earlier message comes with them, first in date order, on both sides.
    factories.MembershipFactory(partner=partner, role="contributor", user__email="sam.patel@council.example")
    mine, practice = _application_pages(partner, lead, practice_admin, ours)
    for page in (mine, practice):
        assert page.index("First: who can lead?") < page.index("Second: is our data enough?")
        assert "Stranger&#x27;s question" not in page and "About round 15" not in page
        assert "without signing in (Sam.Patel@Council.Example)" in page

    # The other partner, with its own application to the same call, sees none of them ...
    _, theirs_practice = _application_pages(other_partner, other_lead, practice_admin, theirs)
    assert "First: who can lead?" not in theirs_practice and "Second: is our data" not in theirs_practice
    with in_scope_of(other_partner):
        theirs_page = page_client(other_lead).get(reverse("cohorts:application_detail", args=[other_partner.slug, theirs.code]))
        assert "who can lead" not in theirs_page.content.decode()
        # ... and row-level security holds it back whatever the query.
        assert not CallEnquiry.objects.exists()
    with in_scope_of(partner):
        assert sorted(CallEnquiry.objects.values_list("body", flat=True)) == [
            "First: who can lead?",
            "Second: is our data enough?",
        ]


def test_no_application_or_an_unverified_account_brings_no_visitors_message(cohort, partner, lead, practice_admin):
    services.enquiry_send(cohort=cohort, **_visitor(email=lead.email.upper(), body="Before we applied"))
    services.enquiry_send(cohort=cohort, **_visitor(email="new@northshire.example", body="From an unverified address"))
    factories.MembershipFactory(
        partner=partner, role="viewer", user__email="new@northshire.example", user__email_verified_at=None
    )
    with in_scope_of(partner):  # no application yet: the partner's transaction reads none of them
        assert not CallEnquiry.objects.exists()
    application = factories.ApplicationFactory(partner=partner, cohort=cohort, status="draft", submitted_at=None)
    mine, practice = _application_pages(partner, lead, practice_admin, application)
    for page in (mine, practice):
        assert "Before we applied" in page and "From an unverified address" not in page
    with in_scope_of(partner):
        assert list(CallEnquiry.objects.values_list("body", flat=True)) == ["Before we applied"]
