"""A cohort's details and lifecycle: draft → open → reviewing → decided → active → closed."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cohorts.models import COHORT_TRANSITIONS, Cohort
from cohorts.services import applications as services
from pine.models import AuditEvent
from tests import factories
from tests.cohorts.helpers import api_client, practice_page_client

pytestmark = pytest.mark.django_db

UK = ZoneInfo("Europe/London")
STAGES = list(Cohort.Status.values)


@pytest.fixture
def reviewer():
    return factories.PracticeUserFactory(practice_role="reviewer", email="reviewer@pine.example")


@pytest.mark.parametrize("start", STAGES)
@pytest.mark.parametrize("to", STAGES)
def test_every_transition_is_allowed_or_refused_as_the_table_says(practice_admin, start, to):
    cohort = factories.CohortFactory(status=start)
    if to in COHORT_TRANSITIONS[start]:
        services.cohort_transition(actor=practice_admin, cohort=cohort, to=to, confirm=True)
        cohort.refresh_from_db()
        assert cohort.status == to
        assert AuditEvent.objects.filter(action="cohort.transition", object_code=str(cohort.code)).exists()
    else:
        with pytest.raises(ValidationError):
            services.cohort_transition(actor=practice_admin, cohort=cohort, to=to, confirm=True)
        cohort.refresh_from_db()
        assert cohort.status == start


def test_the_lifecycle_runs_forward_one_stage_at_a_time_with_one_step_back():
    forward = {s: {b} for s, b in zip(STAGES, STAGES[1:], strict=False)} | {STAGES[-1]: set()}
    forward[Cohort.Status.REVIEWING].add(Cohort.Status.OPEN)  # reopening, while no review is submitted
    assert {s: set(COHORT_TRANSITIONS[s]) for s in STAGES} == forward


def test_only_practice_admins_move_stages(reviewer, lead):
    cohort = factories.CohortFactory(status=Cohort.Status.DRAFT)
    for actor in (reviewer, lead):
        with pytest.raises(PermissionDenied):
            services.cohort_transition(actor=actor, cohort=cohort, to=Cohort.Status.OPEN, confirm=True)
    url = reverse("cohorts:practice_cohort_transition", args=[cohort.slug])
    assert practice_page_client(reviewer).post(url, {"to": "open"}).status_code == 403
    api = api_client(reviewer)
    assert api.post(f"/api/v1/practice/cohorts/{cohort.slug}/transition/", {"to": "open"}).status_code == 403
    assert api_client(lead).post(f"/api/v1/practice/cohorts/{cohort.slug}/transition/", {"to": "open"}).status_code == 404
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.DRAFT


def test_a_practice_admin_moves_a_cohort_with_the_page_buttons(practice_admin):
    cohort = factories.CohortFactory(status=Cohort.Status.OPEN)
    client = practice_page_client(practice_admin)
    page = client.get(reverse("cohorts:practice_cohort", args=[cohort.slug])).content.decode()
    assert "Move to: reviewing" in page and "Move to: decided" not in page
    response = client.post(reverse("cohorts:practice_cohort_transition", args=[cohort.slug]), {"to": "reviewing"})
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.REVIEWING
    # A stale button (skipping a stage) is refused with a message, not an error page.
    response = client.post(reverse("cohorts:practice_cohort_transition", args=[cohort.slug]), {"to": "closed"}, follow=True)
    assert "can move only to: open for applications, decided" in response.content.decode()
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.REVIEWING


def test_the_transition_api(practice_admin):
    cohort = factories.CohortFactory(status=Cohort.Status.DRAFT)
    api = api_client(practice_admin)
    url = f"/api/v1/practice/cohorts/{cohort.slug}/transition/"
    response = api.post(url, {"to": "open", "confirm": True}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "open"
    refused = api.post(url, {"to": "active"}, content_type="application/json")
    assert refused.status_code == 400 and "to" in refused.json()
    assert api.post("/api/v1/practice/cohorts/no-such-cohort/transition/", {"to": "open"}).status_code == 404


def test_a_practice_admin_creates_a_cohort_with_every_detail(practice_client):
    response = practice_client.post(
        reverse("cohorts:practice_cohort_create"),
        {
            "name": "PINE round 4",
            "theme": "Family help",
            "description": "First paragraph.\n\nSecond paragraph.",
            "guidance": "Tell us about your data.",
            "eligibility": "Statutory agencies in England.",
            "multi_agency": "on",
            "capacity": 8,
            "reviewers_per_application": 1,
            "blind_review": "on",
            "disagreement_threshold": 2,
            "opens_at": "2027-01-04T09:00",
            "deadline_at": "2027-03-31T17:00",
            "review_starts_at": "2027-04-01T09:00",
            "review_ends_at": "2027-04-30T17:00",
            "selection_announced_at": "2027-05-10T12:00",
            "programme_starts_at": "2027-06-01T09:00",
            "programme_ends_at": "2028-05-31T17:00",
        },
    )
    cohort = Cohort.objects.get(name="PINE round 4")
    assert response.status_code == 302
    assert cohort.multi_agency and cohort.status == Cohort.Status.DRAFT
    assert cohort.reviewers_per_application == 1 and cohort.blind_review  # the review settings, from the form
    # Typed in UK time: 09:00 on 1 June is 08:00 UTC (BST).
    assert cohort.programme_starts_at == datetime(2027, 6, 1, 9, tzinfo=UK)
    page = practice_client.get(reverse("cohorts:practice_cohort", args=[cohort.slug])).content.decode()
    assert "1 June 2027 at 9:00am BST" in page and "31 March 2027 at 5:00pm BST" in page
    assert "10 May 2027 at midday BST" in page


def test_dates_out_of_order_are_refused_with_a_message_by_the_field(practice_client):
    response = practice_client.post(
        reverse("cohorts:practice_cohort_create"),
        {
            "name": "Bad dates",
            "description": "A call.",
            "capacity": 9,
            "reviewers_per_application": 2,
            "disagreement_threshold": 2,
            "opens_at": "2027-01-04T09:00",
            "deadline_at": "2027-03-31T17:00",
            "review_starts_at": "2027-03-01T09:00",
            "programme_starts_at": "2027-06-01T09:00",
            "programme_ends_at": "2027-05-01T09:00",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert "The review period must start after the deadline." in page
    assert "The programme must end after it starts." in page
    assert not Cohort.objects.filter(name="Bad dates").exists()


@pytest.mark.parametrize("stage", ["draft", "open"])
def test_a_practice_admin_edits_a_draft_or_open_cohort(practice_client, practice_admin, stage):
    cohort = factories.CohortFactory(status=stage, name="Before")
    url = reverse("cohorts:practice_cohort_edit", args=[cohort.slug])
    form = practice_client.get(url).content.decode()
    assert 'value="Before"' in form
    response = practice_client.post(
        url,
        {
            "name": "After",
            "description": "Changed.",
            "guidance": "New guidance.",
            "capacity": 5,
            "reviewers_per_application": 2,
            "disagreement_threshold": 2,
            "opens_at": "2026-10-01T09:00",
            "deadline_at": "2027-02-01T17:00",
        },
    )
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert (cohort.name, cohort.guidance, cohort.capacity, cohort.status) == ("After", "New guidance.", 5, stage)
    event = AuditEvent.objects.get(action="cohort.update", object_code=str(cohort.code))
    assert event.changes["name"] == ["Before", "After"] and event.actor == practice_admin
    patched = api_client(practice_admin).patch(
        f"/api/v1/practice/cohorts/{cohort.slug}/", {"eligibility": "Councils."}, content_type="application/json"
    )
    assert patched.status_code == 200 and patched.json()["eligibility"] == "Councils."


@pytest.mark.parametrize("stage", ["reviewing", "decided", "active", "closed"])
def test_a_cohort_past_its_call_cannot_be_edited(practice_client, practice_admin, stage):
    cohort = factories.CohortFactory(status=stage, name="Fixed")
    url = reverse("cohorts:practice_cohort_edit", args=[cohort.slug])
    # While reviewing, only the review settings can change (tests/cohorts/test_settings.py).
    locked = "only its review settings can change" if stage == "reviewing" else "its details can no longer change"
    assert locked in practice_client.get(url).content.decode()
    response = practice_client.post(
        url,
        {"name": "Changed", "description": "x", "capacity": 5, "opens_at": "2026-10-01T09:00", "deadline_at": "2027-02-01T17:00"},
    )
    assert stage == "reviewing" or "its details can no longer change" in response.content.decode()
    patched = api_client(practice_admin).patch(
        f"/api/v1/practice/cohorts/{cohort.slug}/", {"name": "Changed"}, content_type="application/json"
    )
    assert patched.status_code == 400
    cohort.refresh_from_db()
    assert cohort.name == "Fixed"


def test_reviewers_cannot_edit_a_cohort(reviewer):
    cohort = factories.CohortFactory(status="draft", name="Before")
    assert practice_page_client(reviewer).get(reverse("cohorts:practice_cohort_edit", args=[cohort.slug])).status_code == 403
    response = api_client(reviewer).patch(
        f"/api/v1/practice/cohorts/{cohort.slug}/", {"name": "x"}, content_type="application/json"
    )
    assert response.status_code == 403


def test_the_public_call_page_shows_description_guidance_and_eligibility_without_an_account(client):
    cohort = factories.CohortFactory(
        name="Round 7",
        description="Para one.\n\nPara two.",
        guidance="How to write a good application.",
        eligibility="Any statutory agency in England.",
        deadline_at=datetime(2027, 1, 10, 17, 30, tzinfo=UK),
        programme_starts_at=datetime(2027, 7, 1, 9, tzinfo=UK),
        programme_ends_at=datetime(2028, 6, 30, 17, tzinfo=UK),
    )
    page = client.get(reverse("cohorts:public_detail", args=[cohort.slug])).content.decode()
    assert "<p>Para one.</p>" in page and "<p>Para two.</p>" in page
    assert "How to write a good application." in page and "Any statutory agency in England." in page
    assert "10 January 2027 at 5:30pm GMT" in page
    assert "1 July 2027 at 9:00am BST to 30 June 2028 at 5:00pm BST" in page


def test_a_draft_cohort_is_not_public(client):
    cohort = factories.CohortFactory(status="draft")
    assert client.get(reverse("cohorts:public_detail", args=[cohort.slug])).status_code == 404


def test_the_cohort_api_shows_every_date(practice_admin):
    cohort = factories.CohortFactory(review_starts_at=None)
    data = api_client(practice_admin).get(f"/api/v1/practice/cohorts/{cohort.slug}/").json()
    assert data["slug"] == cohort.slug and data["review_starts_at"] is None and "guidance" in data


def test_the_database_refuses_dates_out_of_order():
    from django.db import IntegrityError, transaction

    cohort = factories.CohortFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Cohort.objects.filter(pk=cohort.pk).update(review_starts_at=cohort.deadline_at - timedelta(days=1))


# --- dates and times as GOV.UK date inputs with an hour and a minute ----------------------------------


def _when(name: str, day: int, month: int, year: int, hour: str = "", minute: str = "") -> dict:
    return {f"{name}-day": str(day), f"{name}-month": str(month), f"{name}-year": str(year), f"{name}-hour": hour,
            f"{name}-minute": minute}  # fmt: skip


def test_the_cohort_form_asks_dates_with_day_month_year_hour_and_minute_boxes(practice_client):
    url = reverse("cohorts:practice_cohort_create")
    form = practice_client.get(url).content.decode()
    assert 'type="datetime-local"' not in form
    for part in ("day", "month", "year", "hour", "minute"):
        assert f'name="deadline_at-{part}"' in form and f'name="programme_ends_at-{part}"' in form
    assert "Leave the time empty for 23:59" in form and "Leave the time empty for 00:00" in form
    response = practice_client.post(
        url,
        {
            "name": "PINE round 5",
            "description": "A call.",
            "capacity": 8,
            "reviewers_per_application": 2,
            "disagreement_threshold": 2,
            **_when("opens_at", 4, 1, 2027, "9", "00"),
            **_when("deadline_at", 31, 3, 2027),  # no time: the end of the day
            **_when("programme_starts_at", 1, 6, 2027, "09", "30"),
        },
    )
    assert response.status_code == 302
    cohort = Cohort.objects.get(name="PINE round 5")
    assert cohort.opens_at == datetime(2027, 1, 4, 9, 0, tzinfo=UK)
    assert cohort.deadline_at == datetime(2027, 3, 31, 23, 59, tzinfo=UK)
    assert cohort.programme_starts_at == datetime(2027, 6, 1, 9, 30, tzinfo=UK)  # 08:30 UTC: summer time
    assert cohort.review_starts_at is None
    # Changing it shows the stored moments as the clock in London read them.
    edit = practice_client.get(reverse("cohorts:practice_cohort_edit", args=[cohort.slug])).content.decode()
    assert 'name="programme_starts_at-hour" type="text" inputmode="numeric" value="09"' in edit
    assert 'name="deadline_at-minute" type="text" inputmode="numeric" value="59"' in edit


def test_a_wrong_date_or_time_on_the_cohort_form_says_what_is_wrong(practice_client):
    response = practice_client.post(
        reverse("cohorts:practice_cohort_create"),
        {
            "name": "PINE round 5",
            "description": "A call.",
            "capacity": 8,
            "reviewers_per_application": 2,
            "disagreement_threshold": 2,
            **_when("opens_at", 4, 1, 2027, "25", "00"),
            **_when("deadline_at", 31, 2, 2027, "17", "00"),
            **_when("review_ends_at", 1, 5, 2027, "17", ""),
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert "Call opens must be a real time: hours 0 to 23, minutes 0 to 59" in page
    assert "Application deadline must be a real date" in page
    assert "Review period ends must include a minute" in page
    assert 'href="#id_deadline_at-day"' in page  # the error summary links to the field
    assert not Cohort.objects.filter(name="PINE round 5").exists()
