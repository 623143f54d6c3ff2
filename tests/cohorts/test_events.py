"""Events for applicants: the practice team adds them; anyone registers (no account), gets a
confirmation email with an .ics file and a reminder the day before, and can cancel; the practice
team sees and downloads who registered. Also: the call's guidance as sanitised rich text."""

import io
import re
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import openpyxl
import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from cohorts import tasks
from cohorts.models import Cohort, EventRegistration
from cohorts.selectors import events as selectors
from cohorts.services import events as services
from pine.celery import app as celery_app
from pine.models import AuditEvent
from tests import factories
from tests.cohorts.helpers import api_client, page_client, practice_page_client

pytestmark = pytest.mark.django_db

UK = ZoneInfo("Europe/London")
PERSON = {"name": "Sam Patel", "email": "sam.patel@council.example", "organisation": "Northshire County Council"}


@pytest.fixture
def reviewer():
    return factories.PracticeUserFactory(practice_role="reviewer", email="reviewer@pine.example")


@pytest.fixture
def event():
    return factories.EventFactory(
        title="Webinar: applying to round 7",
        cohort__name="Round 7",
        cohort__slug="round-7",
        capacity=2,
        joining_details="https://meet.example.org/round-7\nPasscode 424242",
    )


def _event_url(event) -> str:
    return reverse("cohorts:public_event", args=[event.cohort.slug, event.code])


def _ics(message) -> icalendar.Calendar:
    (name, content, mimetype) = message.attachments[0]
    assert (name, mimetype) == ("event.ics", "text/calendar")
    return icalendar.Calendar.from_ical(content)


# --- registering --------------------------------------------------------------------------------------


def test_anyone_registers_without_an_account_and_gets_an_email_with_a_calendar_file(
    client, event, django_capture_on_commit_callbacks
):
    page = client.get(_event_url(event)).content.decode()
    assert "Webinar: applying to round 7" in page and "Register" in page
    assert "meet.example.org" not in page  # joining details go only to people who register
    assert "2 of 2 left" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_event_url(event), PERSON)
    registration = EventRegistration.objects.get(event=event)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "cohorts:public_event_registered", args=[event.cohort.slug, event.code, registration.code]
    )
    confirmation = client.get(response["Location"]).content.decode()
    assert "You are registered" in confirmation and "sam.patel@council.example" in confirmation
    assert (registration.name, registration.organisation) == ("Sam Patel", "Northshire County Council")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sam.patel@council.example"]
    assert message.subject.startswith("You are registered: Webinar: applying to round 7")
    assert "https://meet.example.org/round-7" in message.body and "Passcode 424242" in message.body
    assert "GMT" in message.body or "BST" in message.body
    (cancel,) = re.findall(r"http://testserver(/cohorts/events/cancel/\S+/)", message.body)
    assert selectors.registration_get_by_token(token=cancel.split("/")[-2]) == registration
    assert AuditEvent.objects.filter(action="event_registration.create", object_code=str(registration.code)).exists()


def test_the_calendar_file_parses_back_with_utc_times_joining_details_and_the_event_page(event):
    calendar = icalendar.Calendar.from_ical(services.event_calendar(event))
    (entry,) = calendar.walk("VEVENT")
    assert str(entry["UID"]) == f"{event.code}@testserver"
    assert entry.decoded("DTSTART") == event.starts_at and entry.decoded("DTSTART").utcoffset() == timedelta(0)
    assert entry.decoded("DTEND") == event.ends_at
    assert "Z" in entry["DTSTART"].to_ical().decode()  # written in UTC
    assert str(entry["SUMMARY"]) == "Webinar: applying to round 7"
    assert "https://meet.example.org/round-7\nPasscode 424242" in str(entry["DESCRIPTION"])
    assert str(entry["LOCATION"]) == "https://meet.example.org/round-7"
    assert str(entry["URL"]) == "http://testserver" + _event_url(event)


def test_the_email_carries_the_same_calendar_file(client, event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_event_url(event), PERSON)
    (entry,) = _ics(mail.outbox[0]).walk("VEVENT")
    assert entry.decoded("DTSTART") == event.starts_at
    assert str(entry["SUMMARY"]) == event.title


def test_the_email_is_sent_only_after_the_registration_commits(event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.event_register(event=event, **PERSON)
    assert mail.outbox == [] and len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1


def test_a_registration_rolled_back_sends_nothing(event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                services.event_register(event=event, **PERSON)
                raise RuntimeError("something later failed")
        except RuntimeError:
            pass
    assert callbacks == [] and mail.outbox == []
    assert not EventRegistration.objects.filter(event=event).exists()


def test_a_full_event_says_so_and_takes_nobody_else(client, event):
    factories.EventRegistrationFactory.create_batch(2, event=event)
    page = client.get(_event_url(event)).content.decode()
    assert "This event is full" in page and "<form" not in page.split("</header>")[-1].split("<footer")[0]
    response = client.post(_event_url(event), PERSON)
    assert response.status_code == 200 and "This event is full" in response.content.decode()
    assert EventRegistration.objects.filter(event=event).count() == 2
    with pytest.raises(ValidationError, match="full"):
        services.event_register(event=event, **PERSON)


def test_a_cancelled_place_counts_as_free(event):
    factories.EventRegistrationFactory(event=event)
    factories.EventRegistrationFactory(event=event, cancelled_at=timezone.now())
    services.event_register(event=event, **PERSON)
    assert selectors.places_left(selectors.event_get(cohort=event.cohort, code=event.code)) == 0


def test_the_same_email_twice_is_refused_with_a_message_whatever_its_case(client, event):
    client.post(_event_url(event), PERSON)
    response = client.post(_event_url(event), {**PERSON, "email": "Sam.Patel@COUNCIL.example"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and "is already registered for this event" in page
    assert EventRegistration.objects.filter(event=event).count() == 1


def test_someone_who_cancelled_can_register_again(event):
    registration = services.event_register(event=event, **PERSON)
    services.registration_cancel(registration=registration)
    again = services.event_register(event=event, **{**PERSON, "organisation": "Northshire Police"})
    assert again.pk == registration.pk and again.cancelled_at is None and again.organisation == "Northshire Police"


# --- limits: a stranger chooses the address an email goes to -------------------------------------------


def test_one_email_address_is_sent_at_most_five_registrations_a_day(client, django_capture_on_commit_callbacks):
    events = factories.EventFactory.create_batch(6)
    with django_capture_on_commit_callbacks(execute=True):
        for event in events[:5]:
            assert client.post(_event_url(event), PERSON, REMOTE_ADDR=f"198.51.100.{event.pk % 250}").status_code == 302
        # The sixth, whatever the client's address and the letters' case, is refused with a message.
        response = client.post(_event_url(events[5]), {**PERSON, "email": "SAM.PATEL@council.example"}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and "too many registrations with this email address" in page
    assert len(mail.outbox) == 5 and not EventRegistration.objects.filter(event=events[5]).exists()
    with pytest.raises(ValidationError, match="too many registrations"):
        services.event_register(event=events[5], **PERSON)


def test_one_client_address_makes_at_most_twenty_registrations_an_hour(client, django_capture_on_commit_callbacks):
    event = factories.EventFactory(capacity=None)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(20):
            response = client.post(_event_url(event), {**PERSON, "email": f"person{n}@council.example"})
            assert response.status_code == 302, n
        refused = client.post(_event_url(event), {**PERSON, "email": "person20@council.example"})
        # Another client is not held back by the first one's count.
        other = client.post(_event_url(event), {**PERSON, "email": "person21@council.example"}, REMOTE_ADDR="203.0.113.7")
    assert refused.status_code == 200 and "too many registrations" in refused.content.decode()
    assert other.status_code == 302
    assert len(mail.outbox) == 21
    assert not EventRegistration.objects.filter(email="person20@council.example").exists()


def test_the_email_opens_with_our_words_and_the_typed_name_comes_last(client, event, django_capture_on_commit_callbacks):
    spam = "WIN A PRIZE: call 0800 000 000 now"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_event_url(event), {**PERSON, "name": spam, "organisation": "Free money ltd"})
    body = mail.outbox[0].body
    assert body.startswith("You are registered for Webinar: applying to round 7 (Round 7)")
    assert spam not in mail.outbox[0].subject
    # What the stranger typed comes only after the event's details and the cancel link.
    assert body.index(spam) > body.index("/cohorts/events/cancel/")
    assert "Registered as: WIN A PRIZE: call 0800 000 000 now, Free money ltd" in body


@pytest.mark.parametrize(
    "data, message",
    [
        ({**PERSON, "name": ""}, "Enter your full name"),
        ({**PERSON, "email": "not-an-email"}, "Enter an email address like name@example.org"),
        ({**PERSON, "organisation": ""}, "Enter your organisation"),
        ({**PERSON, "name": "x" * 201}, "at most 200 characters"),
    ],
)
def test_bad_registration_details_get_messages_not_errors(client, event, data, message):
    response = client.post(_event_url(event), data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not EventRegistration.objects.exists()


def test_registration_closes_when_the_event_starts(client):
    event = factories.EventFactory(starts_at=timezone.now() - timedelta(minutes=5), ends_at=timezone.now() + timedelta(hours=1))
    page = client.get(_event_url(event)).content.decode()
    assert "registration is closed" in page
    assert client.post(_event_url(event), PERSON).status_code == 200
    assert not EventRegistration.objects.exists()
    with pytest.raises(ValidationError, match="already started"):
        services.event_register(event=event, **PERSON)


def test_a_draft_cohorts_events_are_not_found(client):
    event = factories.EventFactory(cohort__status=Cohort.Status.DRAFT)
    assert client.get(_event_url(event)).status_code == 404
    assert client.post(_event_url(event), PERSON).status_code == 404
    with pytest.raises(ValidationError):
        services.event_register(event=event, **PERSON)
    assert not EventRegistration.objects.exists()


def test_an_event_under_another_cohorts_address_is_not_found(client, event):
    other = factories.CohortFactory()
    assert client.get(reverse("cohorts:public_event", args=[other.slug, event.code])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_people_racing_for_the_last_place_cannot_both_get_it():
    """The first holds the event's lock (its transaction still open) while the second tries: the
    second waits for the lock, then finds the event full. Without the lock both would get in."""
    event = factories.EventFactory(capacity=1)
    first_in, results = threading.Event(), {}

    def first():
        try:
            with transaction.atomic():
                services.event_register(event=event, name="First", email="first@example.org", organisation="A")
                first_in.set()
                time.sleep(0.5)
            results["first"] = "registered"
        finally:
            first_in.set()
            connection.close()

    def second():
        try:
            first_in.wait(5)
            services.event_register(event=event, name="Second", email="second@example.org", organisation="B")
            results["second"] = "registered"
        except ValidationError as error:
            results["second"] = error.messages[0]
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert results == {"first": "registered", "second": "This event is full. There are no places left."}
    assert list(EventRegistration.objects.filter(event=event).values_list("email", flat=True)) == ["first@example.org"]


# --- cancelling -----------------------------------------------------------------------------------------


def test_the_signed_link_in_the_email_cancels_the_place_after_a_button_press(client, event):
    registration = services.event_register(event=event, **PERSON)
    url = reverse("cohorts:public_event_cancel", args=[selectors.registration_cancel_token(registration)])
    page = client.get(url).content.decode()
    assert "Cancel your place at Webinar: applying to round 7" in page
    registration.refresh_from_db()
    assert registration.cancelled_at is None  # following the link alone changes nothing
    response = client.post(url)
    assert response.status_code == 200 and "Your place is cancelled" in response.content.decode()
    registration.refresh_from_db()
    assert registration.cancelled_at is not None
    assert "already cancelled" in client.get(url).content.decode()
    assert client.post(url).status_code == 200  # twice: no error
    assert AuditEvent.objects.filter(action="event_registration.cancel", object_code=str(registration.code)).count() == 1


@pytest.mark.parametrize("token", ["nonsense", "InNhbSI:1abc:forged"])
def test_a_forged_or_mangled_cancel_link_is_not_found(client, token):
    assert client.get(reverse("cohorts:public_event_cancel", args=[token])).status_code == 404
    assert client.post(reverse("cohorts:public_event_cancel", args=[token])).status_code == 404


def test_a_cancel_token_of_another_purpose_is_refused(client, event):
    from django.core import signing

    registration = factories.EventRegistrationFactory(event=event)
    token = signing.dumps(str(registration.code))  # the right code, the wrong salt
    assert client.post(reverse("cohorts:public_event_cancel", args=[token])).status_code == 404
    registration.refresh_from_db()
    assert registration.cancelled_at is None


# --- reminders ------------------------------------------------------------------------------------------


def test_reminders_go_the_day_before_uk_date_once_each_and_not_to_cancelled_places(django_capture_on_commit_callbacks):
    now = datetime(2027, 3, 10, 9, 0, tzinfo=UK)
    tomorrow_early = factories.EventFactory(
        title="Early", starts_at=datetime(2027, 3, 11, 0, 30, tzinfo=UK), ends_at=datetime(2027, 3, 11, 1, 30, tzinfo=UK)
    )
    tomorrow_late = factories.EventFactory(
        title="Late", starts_at=datetime(2027, 3, 11, 23, 30, tzinfo=UK), ends_at=datetime(2027, 3, 12, 0, 30, tzinfo=UK)
    )
    day_after = factories.EventFactory(
        starts_at=datetime(2027, 3, 12, 0, 0, tzinfo=UK), ends_at=datetime(2027, 3, 12, 1, 0, tzinfo=UK)
    )
    today = factories.EventFactory(
        starts_at=datetime(2027, 3, 10, 23, 0, tzinfo=UK), ends_at=datetime(2027, 3, 10, 23, 30, tzinfo=UK)
    )
    draft = factories.EventFactory(
        cohort__status=Cohort.Status.DRAFT,
        starts_at=datetime(2027, 3, 11, 12, 0, tzinfo=UK),
        ends_at=datetime(2027, 3, 11, 13, 0, tzinfo=UK),
    )
    a = factories.EventRegistrationFactory(event=tomorrow_early, email="a@example.org")
    b = factories.EventRegistrationFactory(event=tomorrow_late, email="b@example.org")
    cancelled = factories.EventRegistrationFactory(event=tomorrow_early, email="gone@example.org", cancelled_at=now)
    for other in (day_after, today, draft):
        factories.EventRegistrationFactory(event=other)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.event_reminders_send(now=now) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.org", "b@example.org"]
    early = next(m for m in mail.outbox if m.to == ["a@example.org"])
    assert early.subject.startswith("Reminder: Early is tomorrow") and "https://meet.example.org/pine-webinar" in early.body
    a.refresh_from_db(), b.refresh_from_db(), cancelled.refresh_from_db()
    assert a.reminded_at == now and b.reminded_at == now and cancelled.reminded_at is None

    with django_capture_on_commit_callbacks(execute=True):
        assert services.event_reminders_send(now=now + timedelta(hours=3)) == 0
    assert len(mail.outbox) == 2


def test_moving_an_event_sends_its_reminder_again(practice_admin, django_capture_on_commit_callbacks):
    now = datetime(2027, 3, 10, 9, 0, tzinfo=UK)
    event = factories.EventFactory(
        starts_at=datetime(2027, 3, 11, 10, 0, tzinfo=UK), ends_at=datetime(2027, 3, 11, 11, 0, tzinfo=UK)
    )
    registration = factories.EventRegistrationFactory(event=event, reminded_at=now)
    services.event_update(
        actor=practice_admin,
        event=event,
        starts_at=datetime(2027, 3, 18, 10, 0, tzinfo=UK),
        ends_at=datetime(2027, 3, 18, 11, 0, tzinfo=UK),
    )
    registration.refresh_from_db()
    assert registration.reminded_at is None
    with django_capture_on_commit_callbacks(execute=True):
        assert services.event_reminders_send(now=datetime(2027, 3, 17, 9, 0, tzinfo=UK)) == 1


def test_the_daily_task_runs_the_reminders_and_is_on_the_beat_schedule(django_capture_on_commit_callbacks):
    start = timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=1), datetime.min.time())) + timedelta(
        hours=12
    )
    factories.EventRegistrationFactory(event__starts_at=start, event__ends_at=start + timedelta(hours=1), email="x@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_event_reminders.delay().get() == 1
    assert [m.to for m in mail.outbox] == [["x@example.org"]]
    entry = settings.CELERY_BEAT_SCHEDULE["event-reminders"]
    assert entry["task"] == "cohorts.tasks.send_event_reminders" and entry["task"] in celery_app.tasks


# --- the practice team ----------------------------------------------------------------------------------


EVENT_FORM = {
    "title": "Webinar about the call",
    "description": "Questions welcome.",
    "starts_at": "2027-05-14T10:00",
    "ends_at": "2027-05-14T11:30",
    "joining_details": "https://meet.example.org/x",
    "capacity": "40",
}


def test_a_practice_admin_adds_changes_and_deletes_an_event_in_uk_time(practice_client):
    cohort = factories.CohortFactory(slug="round-8")
    response = practice_client.post(reverse("cohorts:practice_event_create", args=[cohort.slug]), EVENT_FORM)
    assert response.status_code == 302
    event = cohort.events.get()
    assert event.starts_at == datetime(2027, 5, 14, 10, 0, tzinfo=UK)  # BST: 09:00 UTC
    assert event.starts_at.astimezone(ZoneInfo("UTC")).hour == 9
    page = practice_client.get(response["Location"]).content.decode()
    assert "14 May 2027 at 10:00am BST" in page and "0 of 40 places" in page

    edit = reverse("cohorts:practice_event_edit", args=[cohort.slug, event.code])
    form = practice_client.get(edit).content.decode()
    for part, value in (("day", "14"), ("month", "5"), ("year", "2027"), ("hour", "10"), ("minute", "00")):
        assert re.search(rf'name="starts_at-{part}"[^>]*value="{value}"', form), part  # shown in UK time
    practice_client.post(
        edit, {**EVENT_FORM, "title": "Webinar (moved)", "starts_at": "2027-12-01T14:00", "ends_at": "2027-12-01T15:00"}
    )
    event.refresh_from_db()
    assert event.title == "Webinar (moved)" and event.starts_at == datetime(2027, 12, 1, 14, 0, tzinfo=UK)
    assert (
        "1 December 2027 at 2:00pm GMT"
        in practice_client.get(reverse("cohorts:practice_cohort", args=[cohort.slug])).content.decode()
    )

    delete = reverse("cohorts:practice_event_delete", args=[cohort.slug, event.code])
    assert "Delete Webinar (moved)?" in practice_client.get(delete).content.decode()
    assert practice_client.post(delete).status_code == 302
    assert not cohort.events.exists()
    assert AuditEvent.objects.filter(action__in=["event.create", "event.update", "event.delete"]).count() == 3


@pytest.mark.parametrize(
    "change, message",
    [
        ({"title": ""}, "Enter a title"),
        ({"ends_at": "2027-05-14T09:00"}, "The event must end after it starts"),
        ({"starts_at": "not a date"}, "The date and time the event starts must be a real date and time"),
        ({"starts_at": "1900-01-01T10:00"}, ""),
        ({"capacity": "0"}, "The capacity must be 1 or more"),
        ({"capacity": "lots"}, "Enter the capacity as a whole number"),
        ({"joining_details": ""}, "Enter the joining details"),
    ],
)
def test_bad_event_details_get_messages(practice_client, change, message):
    cohort = factories.CohortFactory()
    response = practice_client.post(reverse("cohorts:practice_event_create", args=[cohort.slug]), {**EVENT_FORM, **change})
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert not cohort.events.exists()


def test_capacity_cannot_drop_below_the_people_registered(practice_client, event):
    factories.EventRegistrationFactory.create_batch(2, event=event)
    edit = reverse("cohorts:practice_event_edit", args=[event.cohort.slug, event.code])
    response = practice_client.post(edit, {**EVENT_FORM, "capacity": "1"})
    assert response.status_code == 200 and "2 people are already registered" in response.content.decode()
    event.refresh_from_db()
    assert event.capacity == 2


def test_the_practice_team_sees_registrations_against_capacity(reviewer, event):
    factories.EventRegistrationFactory(event=event, name="Ada Byron")
    factories.EventRegistrationFactory(event=event, name="Cancelled Person", cancelled_at=timezone.now())
    analyst = factories.UserFactory(practice_role="analyst", is_staff=True)
    page = practice_page_client(analyst).get(reverse("cohorts:practice_event", args=[event.cohort.slug, event.code]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "1 of 2 places" in text and "Ada Byron" in text and "Cancelled Person" in text and "Cancelled" in text
    assert "Change the event" not in text  # analysts see, only admins change
    cohort_page = practice_page_client(analyst).get(reverse("cohorts:practice_cohort", args=[event.cohort.slug])).content.decode()
    assert "Webinar: applying to round 7" in cohort_page and "1 of 2" in cohort_page and "Add an event" not in cohort_page
    # Reviewers see only what they are assigned: not who registered.
    refused = practice_page_client(reviewer).get(reverse("cohorts:practice_event", args=[event.cohort.slug, event.code]))
    assert refused.status_code == 403


def test_the_practice_cohort_page_reads_events_in_a_fixed_number_of_queries(practice_client, django_assert_max_num_queries):
    cohort = factories.CohortFactory()
    factories.EventRegistrationFactory(event__cohort=cohort)
    url = reverse("cohorts:practice_cohort", args=[cohort.slug])
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(conn) as one:
        practice_client.get(url)
    for _ in range(4):
        factories.EventRegistrationFactory(event__cohort=cohort)
        factories.CohortDocumentFactory(cohort=cohort)
    with django_assert_max_num_queries(len(one.captured_queries)):
        practice_client.get(url)


def test_registrations_download_as_csv_and_xlsx_with_formulas_neutralised(practice_client, event):
    factories.EventRegistrationFactory(event=event, name='=HYPERLINK("http://evil.example")', organisation="+SUM(A1)")
    csv = practice_client.get(reverse("cohorts:practice_event_csv", args=[event.cohort.slug, event.code]))
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Name,Email,Organisation,Registered (UK time),Status")
    assert "'=HYPERLINK" in text and "'+SUM(A1)" in text and "\n=HYPERLINK" not in text
    xlsx = practice_client.get(reverse("cohorts:practice_event_xlsx", args=[event.cohort.slug, event.code]))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    row = [cell.value for cell in sheet[2]]
    assert row[0] == '\'=HYPERLINK("http://evil.example")' and row[2] == "'+SUM(A1)" and row[4] == "Registered"


def test_only_practice_admins_change_events(reviewer, lead, event):
    create = reverse("cohorts:practice_event_create", args=[event.cohort.slug])
    edit = reverse("cohorts:practice_event_edit", args=[event.cohort.slug, event.code])
    delete = reverse("cohorts:practice_event_delete", args=[event.cohort.slug, event.code])
    client = practice_page_client(reviewer)
    for url in (create, edit, delete):
        assert client.get(url).status_code == 403
        assert client.post(url, EVENT_FORM).status_code == 403
    with pytest.raises(PermissionDenied):
        services.event_create(actor=reviewer, cohort=event.cohort, **{k: getattr(event, k) for k in services.EVENT_FIELDS})
    with pytest.raises(PermissionDenied):
        services.event_delete(actor=lead, event=event)
    assert event.cohort.events.count() == 1


def test_partners_users_of_either_partner_get_404_on_the_practice_pages_and_api(lead, other_lead, event):
    urls = [
        reverse("cohorts:practice_event", args=[event.cohort.slug, event.code]),
        reverse("cohorts:practice_event_create", args=[event.cohort.slug]),
        reverse("cohorts:practice_event_csv", args=[event.cohort.slug, event.code]),
        reverse("cohorts:practice_event_xlsx", args=[event.cohort.slug, event.code]),
    ]
    api = [
        f"/api/v1/practice/cohorts/{event.cohort.slug}/events/",
        f"/api/v1/practice/cohorts/{event.cohort.slug}/events/{event.code}/registrations/",
    ]
    for user in (lead, other_lead):
        client = page_client(user)
        for url in urls:
            assert client.get(url).status_code == 404, url
        for url in api:
            assert api_client(user).get(url).status_code == 404, url


def test_signed_out_people_are_sent_to_sign_in_for_practice_pages(client, event):
    response = client.get(reverse("cohorts:practice_event", args=[event.cohort.slug, event.code]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_an_unknown_event_or_cohort_is_not_found_for_the_practice_team(practice_client, event):
    other = factories.CohortFactory()
    assert practice_client.get(reverse("cohorts:practice_event", args=[other.slug, event.code])).status_code == 404
    assert practice_client.get(reverse("cohorts:practice_event_create", args=["no-such-cohort"])).status_code == 404


# --- the API --------------------------------------------------------------------------------------------


def test_signed_in_users_list_a_published_cohorts_events_without_joining_details(lead, other_lead, event):
    factories.EventRegistrationFactory(event=event)
    factories.EventFactory(
        cohort=event.cohort, starts_at=timezone.now() - timedelta(days=2), ends_at=timezone.now() - timedelta(days=2, hours=-1)
    )
    for user in (lead, other_lead):
        body = api_client(user).get(f"/api/v1/cohorts/{event.cohort.slug}/events/").json()
        assert [e["title"] for e in body["results"]] == ["Webinar: applying to round 7"]  # past events left out
        (item,) = body["results"]
        assert item["places_left"] == 1 and item["capacity"] == 2 and "joining_details" not in item
        assert item["url"] == "http://testserver" + _event_url(event)
    draft = factories.EventFactory(cohort__status=Cohort.Status.DRAFT)
    assert api_client(lead).get(f"/api/v1/cohorts/{draft.cohort.slug}/events/").status_code == 404
    assert api_client(lead).get("/api/v1/cohorts/no-such-cohort/events/").status_code == 404


def test_the_practice_api_lists_and_adds_events_and_lists_registrations(practice_admin, reviewer, event):
    factories.EventRegistrationFactory(event=event, email="r@example.org")
    api = api_client(practice_admin)
    (item,) = api.get(f"/api/v1/practice/cohorts/{event.cohort.slug}/events/").json()["results"]
    assert item["registered_count"] == 1 and item["joining_details"].startswith("https://meet.example.org")
    registrations = api.get(f"/api/v1/practice/cohorts/{event.cohort.slug}/events/{event.code}/registrations/").json()
    assert [r["email"] for r in registrations["results"]] == ["r@example.org"]

    new = {
        "title": "Drop-in",
        "starts_at": "2027-06-01T10:00:00+01:00",
        "ends_at": "2027-06-01T11:00:00+01:00",
        "joining_details": "Room 4",
    }
    response = api.post(f"/api/v1/practice/cohorts/{event.cohort.slug}/events/", new, content_type="application/json")
    assert response.status_code == 201 and response.json()["capacity"] is None and response.json()["registered_count"] == 0
    bad = api.post(
        f"/api/v1/practice/cohorts/{event.cohort.slug}/events/",
        {**new, "ends_at": "2027-06-01T09:00:00+01:00"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "ends_at" in bad.json()
    refused = api_client(reviewer).post(
        f"/api/v1/practice/cohorts/{event.cohort.slug}/events/", new, content_type="application/json"
    )
    assert refused.status_code == 403
    assert (
        api.get(f"/api/v1/practice/cohorts/{event.cohort.slug}/events/{factories.EventFactory().code}/registrations/").status_code
        == 404
    )


# --- the public call page: guidance as rich text, events and documents ------------------------------------


def test_guidance_and_eligibility_are_markdown_and_never_carry_scripts(client):
    cohort = factories.CohortFactory(
        guidance=(
            "## What we look for\n\nA practice that is **promising**.\n\n- one\n- two\n\n"
            "[Read more](https://example.org/more) and [bad](javascript:alert(1))\n\n"
            "<script>alert('x')</script><img src=x onerror=alert(1)><a href='https://x.example' onclick='steal()'>x</a>"
        ),
        eligibility="1. Councils\n2. Police forces\n\n<iframe src='https://evil.example'></iframe>",
    )
    page = client.get(reverse("cohorts:public_detail", args=[cohort.slug])).content.decode()
    assert '<h3 class="govuk-heading-s">What we look for</h3>' in page
    assert "<strong>promising</strong>" in page
    assert '<ul class="govuk-list govuk-list--bullet">' in page and "<li>one</li>" in page
    assert '<ol class="govuk-list govuk-list--number">' in page and "<li>Police forces</li>" in page
    assert 'href="https://example.org/more"' in page and 'rel="noopener noreferrer"' in page
    for bad in ("<script>alert", "alert('x')", "javascript:", "onerror", "onclick", "<iframe", "evil.example", "<img"):
        assert bad not in page, bad


def test_the_cohort_form_says_markdown_is_accepted(practice_client):
    cohort = factories.CohortFactory()
    page = practice_client.get(reverse("cohorts:practice_cohort_edit", args=[cohort.slug])).content.decode()
    assert "accept Markdown" in page


def test_the_public_call_page_lists_upcoming_events_and_documents(client, event):
    factories.EventFactory(
        cohort=event.cohort,
        title="Past event",
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=3, hours=-1),
    )
    document = factories.CohortDocumentFactory(cohort=event.cohort, title="Application guidance", filename="guidance.pdf")
    page = client.get(reverse("cohorts:public_detail", args=[event.cohort.slug])).content.decode()
    assert _event_url(event) in page and "Webinar: applying to round 7" in page and "Past event" not in page
    assert reverse("cohorts:public_document", args=[event.cohort.slug, document.code]) in page
    assert "Application guidance" in page and "(PDF, 17" in page


def test_the_public_list_of_calls_needs_no_account(client):
    factories.CohortFactory(name="Round 9", description="Practice with families.")
    factories.CohortFactory(name="Secret draft", status=Cohort.Status.DRAFT)
    page = client.get(reverse("cohorts:public_list")).content.decode()
    assert "Round 9" in page and "Practice with families." in page and "Secret draft" not in page
