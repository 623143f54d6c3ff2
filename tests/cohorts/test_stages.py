"""Moving a cohort between stages safely: a confirmation page listing what the move does, the one
step back (reviewing → open) while it undoes nothing, notices to the partners with drafts, the call
closing itself at its deadline, and deadline extensions up to the cohort's own deadline."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Application, Cohort, ReviewAssignment
from cohorts.selectors import stages
from cohorts.services import applications as services
from cohorts.tasks import close_calls_at_deadline
from pine.models import AuditEvent, Notification
from tests import factories
from tests.cohorts.helpers import api_client, practice_page_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort():
    return factories.CohortFactory(name="Round 4", slug="round-4", status=Cohort.Status.OPEN)


def _draft(cohort, **fields):
    partner = factories.PartnerFactory()
    lead = factories.MembershipFactory(partner=partner, user__email=f"lead@{partner.slug}.example").user
    return factories.CompleteApplicationFactory(partner=partner, cohort=cohort, created_by=lead, **fields), lead


def _confirm_url(cohort, to):
    return reverse("cohorts:practice_cohort_transition", args=[cohort.slug]) + f"?to={to}"


# --- the confirmation page ---------------------------------------------------------------------------


def test_closing_early_lists_the_deadline_drafts_and_unscreened_before_anything_changes(practice_admin, cohort):
    _draft(cohort)
    _draft(cohort)
    factories.ApplicationFactory(cohort=cohort, status=Application.Status.SUBMITTED)
    client = practice_page_client(practice_admin)
    cohort_page = client.get(reverse("cohorts:practice_cohort", args=[cohort.slug])).content.decode()
    assert f'href="{_confirm_url(cohort, "reviewing")}"' in cohort_page  # the button leads to the confirmation

    page = client.get(_confirm_url(cohort, "reviewing")).content.decode()
    assert "The deadline has not been reached: the call was to close on " in page  # the deadline, not the time now
    assert "2 draft applications can no longer be submitted" in page
    assert "1 submitted application is waiting to be screened" in page
    assert "The partners of 2 draft applications are told the call has closed" in page
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.OPEN  # looking changes nothing


def test_deciding_lists_unscreened_applications_and_outstanding_reviews(practice_admin):
    assignment = factories.ReviewAssignmentFactory(conflict=ReviewAssignment.Conflict.NONE)
    cohort = assignment.application.cohort
    factories.ApplicationFactory(cohort=cohort, status=Application.Status.SUBMITTED)
    factories.ApplicationFactory(cohort=cohort, status=Application.Status.SUBMITTED)
    page = practice_page_client(practice_admin).get(_confirm_url(cohort, "decided")).content.decode()
    assert "2 submitted applications have not been screened" in page
    assert "1 review is outstanding" in page
    assert "1 eligible application has no decision recorded yet" in page


def test_a_new_cohort_is_a_draft_unless_the_admin_ticks_publish(practice_admin):
    """Opening the call is a move with consequences, made through its confirmation page: the
    create form's "Publish the call now" starts unticked (nothing chosen for the admin)."""
    html = practice_page_client(practice_admin).get(reverse("cohorts:practice_cohort_create")).content.decode()
    (publish,) = re.findall(r'<input[^>]*name="publish"[^>]*>', html)
    assert "checked" not in publish


def test_a_refused_move_shows_why_and_offers_no_button(practice_admin):
    review = factories.ReviewFactory(status="submitted")
    cohort = review.application.cohort
    page = practice_page_client(practice_admin).get(_confirm_url(cohort, "open")).content.decode()
    assert "1 review has been submitted" in page
    assert "Move back to: open" not in page


def test_an_unknown_stage_is_a_404_not_an_error(practice_admin, cohort):
    assert practice_page_client(practice_admin).get(_confirm_url(cohort, "nonsense")).status_code == 404


def test_confirming_on_the_page_moves_the_cohort(practice_admin, cohort):
    response = practice_page_client(practice_admin).post(
        reverse("cohorts:practice_cohort_transition", args=[cohort.slug]), {"to": "reviewing"}, follow=True
    )
    assert "Round 4 is now: reviewing" in response.content.decode()
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.REVIEWING


# --- the same list through the API ----------------------------------------------------------------------


def test_the_api_lists_what_a_move_would_do_and_moves_only_when_confirmed(practice_admin, cohort):
    _draft(cohort)
    factories.ApplicationFactory(cohort=cohort, status=Application.Status.SUBMITTED)
    api = api_client(practice_admin)
    url = reverse("cohorts_api:api_practice_cohort_transition", args=[cohort.slug])
    expected = stages.stage_move_preview(cohort=cohort, to="reviewing")  # the confirmation page's list

    preview = api.get(url, {"to": "reviewing"})
    assert preview.status_code == 200
    body = preview.json()
    assert body["stage"] == "open" and body["to"] == "reviewing" and body["allowed"] and body["needs_confirm"]
    assert body["consequences"] == expected.consequences and body["notices"] == expected.notices
    assert any("The deadline has not been reached" in line for line in body["consequences"])
    assert "1 draft application can no longer be submitted, except any given a later deadline." in body["consequences"]
    assert "1 submitted application is waiting to be screened." in body["consequences"]

    # Without confirm: a 400 with the same list, and nothing moves (nobody is told).
    unconfirmed = api.post(url, {"to": "reviewing"}, content_type="application/json")
    assert unconfirmed.status_code == 400
    refused = unconfirmed.json()
    assert "confirm" in refused and refused["consequences"] == expected.consequences
    assert refused["notices"] == expected.notices
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.OPEN and not Notification.objects.exists()
    assert api.post(url, {"to": "reviewing", "confirm": False}, content_type="application/json").status_code == 400

    confirmed = api.post(url, {"to": "reviewing", "confirm": True}, content_type="application/json")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "reviewing"


def test_the_api_says_why_a_move_may_not_happen(practice_admin):
    review = factories.ReviewFactory(status="submitted")
    cohort = review.application.cohort
    api = api_client(practice_admin)
    url = reverse("cohorts_api:api_practice_cohort_transition", args=[cohort.slug])
    body = api.get(url, {"to": "open"}).json()
    assert not body["allowed"] and not body["needs_confirm"] and "1 review has been submitted" in body["refusal"]
    refused = api.post(url, {"to": "open", "confirm": True}, content_type="application/json")
    assert refused.status_code == 400 and "1 review has been submitted" in refused.json()["to"][0]
    assert api.get(url, {"to": "nonsense"}).status_code == 400
    assert api.get(url).status_code == 400


def test_the_move_api_is_the_practice_admins_only(cohort, other_lead):
    reviewer = factories.PracticeUserFactory(practice_role="reviewer")
    url = reverse("cohorts_api:api_practice_cohort_transition", args=[cohort.slug])
    assert api_client(reviewer).get(url, {"to": "reviewing"}).status_code == 403
    assert api_client(other_lead).get(url, {"to": "reviewing"}).status_code == 404


def test_the_service_refuses_an_unconfirmed_move_with_the_list(practice_admin, cohort):
    with pytest.raises(ValidationError) as refused:
        services.cohort_transition(actor=practice_admin, cohort=cohort, to=Cohort.Status.REVIEWING)
    assert refused.value.message_dict["consequences"] == stages.stage_move_preview(cohort=cohort, to="reviewing").consequences
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.OPEN


# --- notices ------------------------------------------------------------------------------------------


def test_closing_tells_the_partners_of_drafts_but_not_those_with_an_extension_or_submitted(
    practice_admin, cohort, django_capture_on_commit_callbacks
):
    draft, draft_lead = _draft(cohort)
    extended, extended_lead = _draft(
        cohort, deadline_extended_to=cohort.deadline_at + timedelta(days=3), deadline_extension_reason="Illness"
    )
    submitted, submitted_lead = _draft(cohort, status=Application.Status.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        services.cohort_transition(actor=practice_admin, cohort=cohort, to=Cohort.Status.REVIEWING, confirm=True)
    told = Notification.objects.filter(subject__contains="has closed early")
    assert [n.recipient for n in told] == [draft_lead]
    assert told[0].link == reverse("cohorts:application_detail", args=[draft.partner.slug, draft.code])
    assert [m.to for m in mail.outbox] == [[draft_lead.email]]
    assert "before its published deadline" in mail.outbox[0].body


def test_the_step_back_reopens_the_call_and_tells_the_drafts(practice_admin, django_capture_on_commit_callbacks):
    cohort = factories.CohortFactory(status=Cohort.Status.REVIEWING)
    _, lead = _draft(cohort)
    factories.ReviewFactory(application__cohort=cohort, assignment__application__cohort=cohort)  # a draft review only
    with django_capture_on_commit_callbacks(execute=True):
        services.cohort_transition(actor=practice_admin, cohort=cohort, to=Cohort.Status.OPEN, confirm=True)
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.OPEN
    assert [m.to for m in mail.outbox] == [[lead.email]]
    assert "open for applications again" in mail.outbox[0].body


def test_the_step_back_is_refused_once_a_review_is_submitted(practice_admin):
    review = factories.ReviewFactory(status="submitted")
    cohort = review.application.cohort
    with pytest.raises(ValidationError, match="1 review has been submitted"):
        services.cohort_transition(actor=practice_admin, cohort=cohort, to=Cohort.Status.OPEN, confirm=True)
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.REVIEWING


def test_the_step_back_is_refused_after_the_deadline(practice_admin):
    cohort = factories.CohortFactory(
        status=Cohort.Status.REVIEWING,
        opens_at=timezone.now() - timedelta(days=30),
        deadline_at=timezone.now() - timedelta(hours=1),
    )
    with pytest.raises(ValidationError, match="deadline"):
        services.cohort_transition(actor=practice_admin, cohort=cohort, to=Cohort.Status.OPEN, confirm=True)


# --- the call closes itself at its deadline -----------------------------------------------------------


def test_the_beat_closes_calls_whose_deadline_has_passed_once(django_capture_on_commit_callbacks):
    now = timezone.now()
    due = factories.CohortFactory(opens_at=now - timedelta(days=30), deadline_at=now - timedelta(minutes=1))
    later = factories.CohortFactory(deadline_at=now + timedelta(days=1))
    draft = factories.CohortFactory(
        status=Cohort.Status.DRAFT, opens_at=now - timedelta(days=30), deadline_at=now - timedelta(minutes=1)
    )
    _, lead = _draft(due)
    with django_capture_on_commit_callbacks(execute=True):
        assert close_calls_at_deadline() == 1
        assert close_calls_at_deadline() == 0  # a rerun closes nothing twice and tells nobody twice
    for cohort, status in ((due, "reviewing"), (later, "open"), (draft, "draft")):
        cohort.refresh_from_db()
        assert cohort.status == status
    assert [m.to for m in mail.outbox] == [[lead.email]]
    assert "before its published deadline" not in mail.outbox[0].body
    event = AuditEvent.objects.get(action="cohort.transition", object_code=str(due.code))
    assert event.actor is None and event.changes == {"status": ["open", "reviewing"]}


def test_the_beat_schedule_runs_the_closing_task_often():
    entry = settings.CELERY_BEAT_SCHEDULE["close-calls"]
    assert entry["task"] == "cohorts.tasks.close_calls_at_deadline"
    assert entry["schedule"] <= 600


# --- deadline extensions ------------------------------------------------------------------------------


def test_an_extension_can_restore_the_cohorts_own_deadline_after_an_early_close(
    practice_admin, cohort, django_capture_on_commit_callbacks
):
    application, lead = _draft(cohort)
    services.cohort_transition(actor=practice_admin, cohort=cohort, to=Cohort.Status.REVIEWING, confirm=True)
    application.refresh_from_db()
    assert application.edit_refusal() is not None  # closed early: the draft is shut
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_extend_deadline(
            actor=practice_admin, application=application, until=cohort.deadline_at, reason="Closed by mistake"
        )
    application.refresh_from_db()
    assert application.edit_refusal() is None and application.deadline() == cohort.deadline_at
    assert [m.to for m in mail.outbox] == [[lead.email]]
    assert "the call's deadline again" in mail.outbox[0].body and "Closed by mistake" in mail.outbox[0].body
    assert Notification.objects.filter(recipient=lead, subject__startswith="Your application's deadline is now").exists()


def test_an_extension_before_the_cohorts_deadline_is_refused(practice_admin, cohort):
    application, _ = _draft(cohort)
    with pytest.raises(ValidationError, match="on or after the cohort's deadline"):
        services.application_extend_deadline(
            actor=practice_admin, application=application, until=cohort.deadline_at - timedelta(minutes=1), reason="x"
        )


def test_counts_are_read_in_few_queries(cohort, django_assert_max_num_queries):
    for _ in range(3):
        _draft(cohort)
    with django_assert_max_num_queries(3):
        counts = stages.stage_counts(cohort=cohort)
    assert counts.drafts == 3
