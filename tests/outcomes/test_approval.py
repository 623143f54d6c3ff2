"""The practice team approves each period's data, which locks it; a practice admin unlocks it with a
reason. Only current values feed reports, and unapproved ones are marked."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from outcomes import selectors, services
from outcomes.models import PeriodApproval
from pine import services as pine_services
from pine.models import AuditEvent
from tests import factories
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db

HEADER = "measure,period_start,period_end,group,value,numerator,denominator\n"
DATA = (
    HEADER + "re_referrals_12m,01/04/2025,30/04/2025,intervention,20,40,200\n"
    "re_referrals_12m,01/04/2025,30/04/2025,comparison,25,50,200\n"
    "re_referrals_12m,01/05/2025,31/05/2025,intervention,22,44,200\n"
)
APRIL = date(2025, 4, 1)


@pytest.fixture
def stored(lead, partner, evaluation):
    return services.submission_upload(partner=partner, actor=lead, evaluation=evaluation, filename="d.csv", content=DATA.encode())


@pytest.fixture
def analyst():
    return factories.PracticeUserFactory(email="analyst@pine.example", practice_role="analyst")


def test_approving_a_period_marks_it_approved_in_the_frame_and_locks_it(stored, partner, evaluation, analyst):
    frame = selectors.outcome_frame(partner=partner, evaluation=evaluation)
    assert not frame["approved"].any()
    services.period_approve(actor=analyst, evaluation=evaluation, period_start=APRIL)
    frame = selectors.outcome_frame(partner=partner, evaluation=evaluation)
    assert frame.loc[frame["period_start"] == "2025-04-01", "approved"].all()
    assert not frame.loc[frame["period_start"] == "2025-05-01", "approved"].any()
    # Approving twice keeps one approval.
    services.period_approve(actor=analyst, evaluation=evaluation, period_start=APRIL)
    assert PeriodApproval.objects.count() == 1
    assert AuditEvent.objects.filter(action="period.approve", partner=partner).count() == 1


def test_a_period_without_data_cannot_be_approved_and_partners_cannot_approve(stored, evaluation, analyst, lead):
    with pytest.raises(ValidationError):
        services.period_approve(actor=analyst, evaluation=evaluation, period_start=date(2030, 1, 1))
    with pytest.raises(PermissionDenied):
        services.period_approve(actor=lead, evaluation=evaluation, period_start=APRIL)


def test_unlocking_needs_a_practice_admin_and_a_reason_and_is_audited(stored, partner, evaluation, analyst, practice_admin, lead):
    services.period_approve(actor=analyst, evaluation=evaluation, period_start=APRIL)
    with pytest.raises(PermissionDenied):
        services.period_unlock(actor=analyst, evaluation=evaluation, period_start=APRIL, reason="typo")
    with pytest.raises(ValidationError):
        services.period_unlock(actor=practice_admin, evaluation=evaluation, period_start=APRIL, reason=" ")
    services.period_unlock(
        actor=practice_admin, evaluation=evaluation, period_start=APRIL, reason="A late correction from the LA."
    )
    approval = PeriodApproval.objects.get()
    assert approval.unlocked_by == practice_admin and not approval.is_locked
    event = AuditEvent.objects.get(action="period.unlock")
    assert event.partner == partner and event.changes["reason"] == "A late correction from the LA."
    # Unlocked, the period takes uploads again.
    again = services.submission_upload(
        partner=partner, actor=lead, evaluation=evaluation, filename="d.csv", content=DATA.replace(",20,40,", ",21,42,").encode()
    )
    assert again.status == "accepted"
    with pytest.raises(ValidationError):
        services.period_unlock(actor=practice_admin, evaluation=evaluation, period_start=APRIL, reason="not locked")


def test_the_practice_page_lists_periods_and_approves_and_unlocks(client, stored, evaluation, practice_admin):
    client = verified_client(client, practice_admin)
    url = reverse("outcomes:practice_periods", args=[evaluation.code])
    page = client.get(url).content.decode()
    assert "1 Apr 2025 to 30 Apr 2025" in page and page.count('name="period_starts"') == 2
    response = client.post(url, {"action": "approve", "period_start": "2025-04-01"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert page.count('name="period_starts"') == 1 and "Approved" in page
    assert (
        "There is a problem"
        in client.post(url, {"action": "unlock", "period_start": "2025-04-01", "reason": ""}).content.decode()
    )
    assert client.post(url, {"action": "unlock", "period_start": "2025-04-01", "reason": "Correction"}).status_code == 302
    assert client.get(url).content.decode().count('name="period_starts"') == 2
    assert "There is a problem" in client.post(url, {"action": "approve", "period_start": "2031-01-01"}).content.decode()


def test_the_evaluation_page_marks_unapproved_periods(client, stored, partner, evaluation, lead, analyst):
    services.period_approve(actor=analyst, evaluation=evaluation, period_start=APRIL)
    client.force_login(lead)
    page = client.get(reverse("reports:evaluation", args=[partner.slug, evaluation.code])).content.decode()
    assert "Periods of data (2)" in page and "Approved" in page and "Unapproved" in page


def test_the_practice_api_approves_and_unlocks(stored, evaluation, practice_admin, analyst):
    _, key = pine_services.api_token_create(user=analyst, name="t")
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    url = f"/api/v1/practice/evaluations/{evaluation.code}/periods/"
    periods = api.get(url).json()
    assert [(p["period_start"], p["values"], p["approved"]) for p in periods] == [
        ("2025-04-01", 2, False),
        ("2025-05-01", 1, False),
    ]
    response = api.post(url, {"period_start": "2025-04-01"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["approved"] is True
    unlock = url + "unlock/"
    assert api.post(unlock, {"period_start": "2025-04-01", "reason": "x"}, content_type="application/json").status_code == 403
    _, admin_key = pine_services.api_token_create(user=practice_admin, name="t")
    admin = Client(HTTP_AUTHORIZATION=f"Token {admin_key}")
    assert admin.post(unlock, {"period_start": "2025-04-01"}, content_type="application/json").status_code == 400
    assert admin.post(unlock, {"period_start": "2025-04-01", "reason": "x"}, content_type="application/json").status_code == 200
    assert api.get(url).json()[0]["approved"] is False


def test_partners_cannot_reach_the_practice_approval_page_or_api(client, stored, evaluation, lead):
    client.force_login(lead)
    assert client.get(reverse("outcomes:practice_periods", args=[evaluation.code])).status_code == 404
    _, key = pine_services.api_token_create(user=lead, name="t")
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(f"/api/v1/practice/evaluations/{evaluation.code}/periods/").status_code == 404


def test_an_unknown_evaluation_is_404_for_the_practice_team(client, practice_admin):
    import uuid

    client = verified_client(client, practice_admin)
    assert client.get(reverse("outcomes:practice_periods", args=[uuid.uuid4()])).status_code == 404


def test_reviewers_neither_see_nor_approve_outcome_data(stored, evaluation):
    """Reviewers see only the applications they are assigned to review."""
    reviewer = factories.PracticeUserFactory(email="reviewer@pine.example", practice_role="reviewer")
    _, key = pine_services.api_token_create(user=reviewer, name="t")
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(f"/api/v1/practice/evaluations/{evaluation.code}/periods/").status_code == 403
    with pytest.raises(PermissionDenied):
        services.period_approve(actor=reviewer, evaluation=evaluation, period_start=APRIL)


def test_the_partner_hears_its_periods_are_approved(stored, partner, evaluation, analyst, lead):
    from outcomes import approval_services
    from pine.models import Notification

    Notification.objects.all().delete()
    approval_services.periods_approve(actor=analyst, evaluation=evaluation, period_starts=[APRIL])
    told = Notification.objects.get(recipient=lead)
    assert "is approved" in told.subject and "the period starting 1 April 2025" in told.body and told.kind == "data"
    assert told.link == reverse("reports:evaluation", args=[partner.slug, evaluation.code]) and told.link in told.body


def test_an_upload_waiting_for_an_explanation_is_told_to_both_sides(stored, partner, evaluation, analyst, lead, practice_admin):
    from outcomes.models import Submission
    from pine.models import Notification

    Notification.objects.all().delete()
    unusual = HEADER + "re_referrals_12m,01/05/2025,31/05/2025,intervention,3,6,200\n"
    submission = services.submission_upload(
        partner=partner, actor=lead, evaluation=evaluation, filename="may.csv", content=unusual.encode()
    )
    assert submission.status == Submission.Status.NEEDS_EXPLANATION
    to_lead = Notification.objects.get(recipient=lead)
    assert "needs an explanation" in to_lead.subject
    assert to_lead.link == reverse("outcomes:submission", args=[partner.slug, submission.code])
    to_team = Notification.objects.filter(subject__contains="waiting for an explanation")
    assert {n.recipient for n in to_team} == {analyst, practice_admin}
    assert to_team[0].link == reverse("reports:practice_evaluation_uploads", args=[evaluation.code])
