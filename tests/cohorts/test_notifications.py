"""What the cohorts app tells applicants, in the app and by email: a submission received, a
question from the practice team, and deadline reminders 7 days and 1 day before."""

from datetime import datetime, time, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Application, Cohort
from cohorts.services import applications as services
from cohorts.services.reminders import application_deadline_reminders_send
from cohorts.tasks import send_deadline_reminders
from pine import jobs
from pine.models import Notification
from tests import factories
from tests.cohorts.helpers import api_client, page_client
from tests.conftest import in_scope_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort():
    return factories.CohortFactory(name="Round 3", slug="round-3")


@pytest.fixture
def complete(partner, lead, cohort):
    return factories.CompleteApplicationFactory(partner=partner, cohort=cohort, created_by=lead, practice_title="Family Hubs")


@pytest.fixture
def team(lead, contributor, viewer, other_lead):
    """A partner's lead, contributor and viewer, and another partner's lead."""
    return {"lead": lead, "contributor": contributor, "viewer": viewer, "other": other_lead}


def _detail(application):
    return reverse("cohorts:application_detail", args=[application.partner.slug, application.code])


def _recipients(**filters) -> list[str]:
    return sorted(Notification.objects.filter(**filters).values_list("recipient__email", flat=True))


# --- receipt of submission --------------------------------------------------------------------------


def test_submitting_tells_the_partners_leads_and_contributors_after_commit(
    team, partner, complete, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(team["lead"]).post(f"/api/v1/partners/{partner.slug}/applications/{complete.code}/submit/")
    assert response.status_code == 200
    expected = sorted([team["lead"].email, team["contributor"].email])  # not the viewer, not the other partner
    assert _recipients(partner=partner) == expected
    assert sorted(m.to[0] for m in mail.outbox) == expected
    note = Notification.objects.filter(recipient=team["lead"]).get()
    assert note.link == _detail(complete)
    assert note.subject == "Application received: Family Hubs (Round 3)"
    assert "Family Hubs" in note.body and "http://testserver" + _detail(complete) in note.body
    assert mail.outbox[0].subject == note.subject and mail.outbox[0].body == note.body


def test_the_partner_sees_it_in_their_list_and_the_link_opens_the_application(team, partner, complete):
    services.application_submit(partner=partner, actor=team["lead"], application=complete)
    client = page_client(team["contributor"])
    page = client.get(reverse("notifications")).content.decode()
    # The link opens it (marking it read) on the way to the application.
    open_url = reverse("notification_open", args=[Notification.objects.get(recipient=team["contributor"]).code])
    assert f'href="{open_url}">Application received' in page
    assert client.get(open_url).url == _detail(complete)
    assert client.get(_detail(complete)).status_code == 200
    other = page_client(team["other"])
    assert "Family Hubs" not in other.get(reverse("notifications")).content.decode()
    assert other.get(_detail(complete)).status_code == 404  # the other partner


def test_a_refused_submission_tells_no_one(team, partner, complete, django_capture_on_commit_callbacks):
    complete.outcome_measures = []
    complete.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(team["lead"]).post(f"/api/v1/partners/{partner.slug}/applications/{complete.code}/submit/")
    assert response.status_code == 400
    assert not Notification.objects.exists() and mail.outbox == []


# --- more information requested --------------------------------------------------------------------


def test_a_question_from_the_practice_team_reaches_the_partner_with_the_question(
    team, partner, complete, practice_admin, django_capture_on_commit_callbacks
):
    services.application_submit(partner=partner, actor=team["lead"], application=complete)
    Notification.objects.all().delete()
    question = "How many families did the pilot reach? Give numbers for 2024 & 2025."
    with django_capture_on_commit_callbacks(execute=True):
        services.application_request_information(actor=practice_admin, application=complete, question=question)
    assert _recipients(partner=partner) == sorted([team["lead"].email, team["contributor"].email])
    note = Notification.objects.filter(recipient=team["contributor"]).get()
    assert note.subject == "The practice team has a question about your application: Family Hubs"
    assert question in note.body and note.link == _detail(complete)
    assert any(question in m.body for m in mail.outbox)  # as typed, not HTML-escaped

    # Their answer is a resubmission: a receipt saying so.
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(partner=partner, actor=team["lead"], application=complete)
    assert Notification.objects.filter(subject__startswith="Your answers to the practice team were received").count() == 2


# --- deadline reminders ------------------------------------------------------------------------------


def _draft(partner, lead, cohort, **fields):
    return factories.ApplicationFactory(
        partner=partner, cohort=cohort, created_by=lead, status=Application.Status.DRAFT, submitted_at=None, **fields
    )


def _cohort_due_in(days: float, *, now=None, **fields):
    now = now or timezone.now()
    return factories.CohortFactory(opens_at=now - timedelta(days=30), deadline_at=now + timedelta(days=days), **fields)


def _noon():
    """Midday today (UK time): "today" and "tomorrow" do not depend on when the tests run."""
    return timezone.make_aware(datetime.combine(timezone.localdate(), time(12)))


def test_drafts_are_reminded_7_days_before_the_deadline_once(team, partner, django_capture_on_commit_callbacks):
    application = _draft(partner, team["lead"], _cohort_due_in(7, name="Round 4"), practice_title="Family Hubs")
    with django_capture_on_commit_callbacks(execute=True):
        assert send_deadline_reminders.delay().get() == 1
    assert _recipients(partner=partner) == sorted([team["lead"].email, team["contributor"].email])
    assert sorted(m.to[0] for m in mail.outbox) == sorted([team["lead"].email, team["contributor"].email])
    note = Notification.objects.filter(recipient=team["lead"]).get()
    assert note.subject == "7 days to the deadline for your application: Family Hubs"
    assert note.link == _detail(application) and "has not been submitted yet" in note.body
    application.refresh_from_db()
    assert application.reminded_7_days_at is not None and application.reminded_1_day_at is None

    # Run again the same day, and the next days: nothing twice.
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert application_deadline_reminders_send(now=now) == 0
        assert application_deadline_reminders_send(now=now + timedelta(days=1)) == 0
        assert application_deadline_reminders_send(now=now + timedelta(days=4)) == 0
    assert len(mail.outbox) == 2


def test_drafts_are_reminded_again_1_day_before_the_deadline_once(team, partner, django_capture_on_commit_callbacks):
    application = _draft(partner, team["lead"], _cohort_due_in(7), practice_title="Family Hubs")
    now = timezone.now()
    assert application_deadline_reminders_send(now=now) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert application_deadline_reminders_send(now=now + timedelta(days=6)) == 1
        assert application_deadline_reminders_send(now=now + timedelta(days=6, hours=2)) == 0
    assert len(mail.outbox) == 2
    assert Notification.objects.filter(recipient=team["lead"], subject__startswith="Tomorrow is the deadline").count() == 1
    application.refresh_from_db()
    assert application.reminded_1_day_at is not None
    # After the deadline: nothing more.
    assert application_deadline_reminders_send(now=now + timedelta(days=8)) == 0


def test_an_application_started_late_gets_only_the_1_day_reminder(team, partner):
    noon = _noon()
    _draft(partner, team["lead"], _cohort_due_in(0.25, now=noon))  # 6pm today
    assert application_deadline_reminders_send(now=noon) == 1
    assert Notification.objects.filter(recipient=team["lead"], subject__startswith="Today is the deadline").count() == 1
    assert application_deadline_reminders_send(now=noon + timedelta(hours=1)) == 0


def test_no_reminder_too_early_or_for_sent_applications_or_closed_calls(team, partner, other_partner):
    _draft(partner, team["lead"], _cohort_due_in(9))  # too early
    factories.ApplicationFactory(partner=partner, cohort=_cohort_due_in(7))  # submitted
    _draft(partner, team["lead"], _cohort_due_in(7, status=Cohort.Status.DRAFT))  # a call not yet published
    factories.ApplicationFactory(
        partner=partner, cohort=_cohort_due_in(7), status=Application.Status.WITHDRAWN, submitted_at=None
    )
    assert application_deadline_reminders_send() == 0
    assert not Notification.objects.exists()


def test_each_partner_hears_only_about_its_own_application(team, partner, other_partner):
    cohort = _cohort_due_in(7)
    mine = _draft(partner, team["lead"], cohort, practice_title="Ours")
    _draft(other_partner, team["other"], cohort, practice_title="Theirs")
    assert jobs.across_partners(application_deadline_reminders_send) == 2  # as its beat task runs it
    with in_scope_of():  # across partners
        assert {
            n.subject.rsplit(": ", 1)[1] for n in Notification.objects.filter(recipient__in=[team["lead"], team["contributor"]])
        } == {"Ours"}
        assert Notification.objects.get(recipient=team["other"]).partner == other_partner
    assert page_client(team["other"]).get(_detail(mine)).status_code == 404


def test_an_extension_counts_as_the_deadline(team, partner, practice_admin):
    now = _noon()
    # The call's deadline has passed and review has started; this one was given 1 more day.
    closed = factories.CohortFactory(
        opens_at=now - timedelta(days=30), deadline_at=now - timedelta(hours=2), status=Cohort.Status.REVIEWING
    )
    extended = _draft(partner, team["lead"], closed, deadline_extended_to=now + timedelta(hours=20), practice_title="Late")
    # The call's deadline is 7 days away, but this one has until 20 days from now: not yet.
    later = _draft(
        factories.PartnerFactory(),
        team["lead"],
        _cohort_due_in(7, now=now),
        deadline_extended_to=now + timedelta(days=20),
    )
    assert application_deadline_reminders_send(now=now) == 1
    assert Notification.objects.get(recipient=team["lead"]).subject == "Tomorrow is the deadline for your application: Late"
    assert "(the extension you were given)" in Notification.objects.get(recipient=team["lead"]).body
    extended.refresh_from_db()
    later.refresh_from_db()
    assert extended.reminded_1_day_at is not None and later.reminded_7_days_at is None
    # 13 days on, the extended deadline is 7 days away.
    assert application_deadline_reminders_send(now=now + timedelta(days=13)) == 1
    later.refresh_from_db()
    assert later.reminded_7_days_at is not None


def test_a_later_extension_brings_the_reminders_back(team, partner, practice_admin):
    now = timezone.now()
    application = _draft(partner, team["lead"], _cohort_due_in(1, name="Round 5"))
    assert application_deadline_reminders_send(now=now) == 1  # the 1-day reminder
    services.application_extend_deadline(
        actor=practice_admin, application=application, until=now + timedelta(days=15), reason="The lead was ill."
    )
    assert application_deadline_reminders_send(now=now) == 0
    assert application_deadline_reminders_send(now=now + timedelta(days=8)) == 1  # 7 days before the new deadline
    assert application_deadline_reminders_send(now=now + timedelta(days=14)) == 1  # and 1 day before it
    assert application_deadline_reminders_send(now=now + timedelta(days=14, hours=1)) == 0


def test_an_application_reopened_for_more_information_is_reminded_too(team, partner, complete, practice_admin):
    services.application_submit(partner=partner, actor=team["lead"], application=complete)
    services.application_request_information(actor=practice_admin, application=complete, question="Which schools?")
    Notification.objects.all().delete()
    Cohort.objects.filter(pk=complete.cohort_id).update(deadline_at=timezone.now() + timedelta(days=6, hours=1))
    assert application_deadline_reminders_send() == 1
    assert "waiting for your answers" in Notification.objects.get(recipient=team["lead"]).body


def test_beat_runs_the_reminders_daily():
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "cohorts.tasks.send_deadline_reminders")
    assert entry["schedule"].hour == {7}
