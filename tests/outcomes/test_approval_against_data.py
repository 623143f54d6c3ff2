"""Approval against the data: the practice team sees each period's values, changes and the
partner's explanations, approves several periods in one action (all or none, each audited), or
sends one back with a query; the partner is notified and answers in words or by uploading again,
and the query and answer stay in the period's history on both sides. A period with an open query
cannot be approved."""

import uuid
from datetime import date

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from outcomes import approval_selectors, approval_services, services
from outcomes.models import PeriodApproval, PeriodQuery
from pine.models import AuditEvent, Notification
from tests import factories
from tests.conftest import in_scope_of, token_client, verified_client

pytestmark = pytest.mark.django_db

HEADER = "measure,period_start,period_end,group,value,numerator,denominator\n"
DATA = (
    HEADER + "re_referrals_12m,01/04/2025,30/04/2025,intervention,20,40,200\n"
    "re_referrals_12m,01/04/2025,30/04/2025,comparison,25,50,200\n"
    "re_referrals_12m,01/05/2025,31/05/2025,intervention,22,44,200\n"
    "re_referrals_12m,01/06/2025,30/06/2025,intervention,23,46,200\n"
)
APRIL, MAY, JUNE = date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 1)


def upload(partner, lead, evaluation, text: str):
    return services.submission_upload(partner=partner, actor=lead, evaluation=evaluation, filename="d.csv", content=text.encode())


def reviews_of(partner, evaluation):
    return approval_selectors.period_review_list(partner=partner, evaluation=evaluation)


@pytest.fixture
def stored(lead, partner, evaluation):
    return upload(partner, lead, evaluation, DATA)


@pytest.fixture
def analyst():
    return factories.PracticeUserFactory(email="analyst@pine.example", practice_role="analyst")


@pytest.fixture
def reviewer():
    return factories.PracticeUserFactory(email="reviewer@pine.example", practice_role="reviewer")


def test_several_periods_are_approved_in_one_action_each_audited(stored, partner, evaluation, analyst):
    approvals = approval_services.periods_approve(actor=analyst, evaluation=evaluation, period_starts=[MAY, APRIL, MAY])
    assert sorted(a.period_start for a in approvals) == [APRIL, MAY]
    assert PeriodApproval.objects.filter(unlocked_at__isnull=True).count() == 2
    assert AuditEvent.objects.filter(action="period.approve", partner=partner).count() == 2


def test_approving_many_is_all_or_nothing_and_gives_every_reason(stored, evaluation, analyst):
    with pytest.raises(ValidationError) as refused:
        approval_services.periods_approve(actor=analyst, evaluation=evaluation, period_starts=[APRIL, date(2030, 1, 1)])
    assert "01/01/2030" in str(refused.value)
    assert not PeriodApproval.objects.exists() and not AuditEvent.objects.filter(action="period.approve").exists()
    with pytest.raises(ValidationError):
        approval_services.periods_approve(actor=analyst, evaluation=evaluation, period_starts=[])


def test_reviewers_and_partners_are_refused(stored, evaluation, reviewer, lead, client):
    for actor in (reviewer, lead):
        with pytest.raises(PermissionDenied):
            approval_services.periods_approve(actor=actor, evaluation=evaluation, period_starts=[APRIL])
        with pytest.raises(PermissionDenied):
            approval_services.period_query_send(actor=actor, evaluation=evaluation, period_start=APRIL, question="Why?")
    client = verified_client(client, reviewer)
    assert client.get(reverse("outcomes:practice_periods", args=[evaluation.code])).status_code == 403
    assert (
        client.post(reverse("outcomes:practice_periods", args=[evaluation.code]), {"period_starts": ["2025-04-01"]}).status_code
        == 403
    )
    api = token_client(reviewer)
    url = f"/api/v1/practice/evaluations/{evaluation.code}/periods/approve/"
    assert api.post(url, {"period_starts": ["2025-04-01"]}, content_type="application/json").status_code == 403
    assert not PeriodApproval.objects.exists()


def test_a_query_notifies_the_partner_blocks_approval_and_keeps_its_answer(
    stored, partner, evaluation, analyst, lead, contributor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        query = approval_services.period_query_send(
            actor=analyst, evaluation=evaluation, period_start=APRIL, question="Why did re-referrals halve?"
        )
    assert {n.recipient for n in Notification.objects.filter(partner=partner)} == {lead, contributor}
    assert all(reverse("outcomes:period_query", args=[partner.slug, query.code]) == n.link for n in Notification.objects.all())
    assert {m.to[0] for m in mail.outbox} == {lead.email, contributor.email}
    assert "Why did re-referrals halve?" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="period.query", partner=partner).count() == 1
    # Open: no approval, and no second query on the period.
    with pytest.raises(ValidationError):
        approval_services.periods_approve(actor=analyst, evaluation=evaluation, period_starts=[APRIL, MAY])
    with pytest.raises(ValidationError):
        services.period_approve(actor=analyst, evaluation=evaluation, period_start=APRIL)
    with pytest.raises(ValidationError):
        approval_services.period_query_send(actor=analyst, evaluation=evaluation, period_start=APRIL, question="Again?")
    assert not PeriodApproval.objects.exists()

    mail.outbox.clear()
    with in_scope_of(partner), django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ValidationError):
            approval_services.period_query_answer(partner=partner, actor=lead, query=query, answer="  ")
        approval_services.period_query_answer(partner=partner, actor=lead, query=query, answer="A new team started.")
    assert Notification.objects.filter(recipient=analyst).count() == 1 and mail.outbox[0].to == [analyst.email]
    assert AuditEvent.objects.filter(action="period.query_answer", partner=partner).count() == 1
    approval_services.periods_approve(actor=analyst, evaluation=evaluation, period_starts=[APRIL, MAY])
    (review,) = [
        r for r in approval_selectors.period_review_list(partner=partner, evaluation=evaluation) if r.period_start == APRIL
    ]
    assert review.status == "approved" and [(q.question, q.answer) for q in review.queries] == [
        ("Why did re-referrals halve?", "A new team started.")
    ]
    with pytest.raises(ValidationError):  # an approved period is unlocked before it is queried
        approval_services.period_query_send(actor=analyst, evaluation=evaluation, period_start=APRIL, question="More?")


def test_uploading_the_period_again_answers_its_query(stored, partner, evaluation, analyst, lead):
    query = approval_services.period_query_send(actor=analyst, evaluation=evaluation, period_start=MAY, question="Check May.")
    with in_scope_of(partner):
        correction = upload(partner, lead, evaluation, HEADER + "re_referrals_12m,01/05/2025,31/05/2025,intervention,21,42,200\n")
    assert correction.status == "accepted"
    query.refresh_from_db()
    assert not query.is_open and query.answer_submission == correction and query.answered_by == lead
    assert Notification.objects.filter(recipient=analyst).exists()
    (review,) = [
        r for r in approval_selectors.period_review_list(partner=partner, evaluation=evaluation) if r.period_start == MAY
    ]
    assert [(str(c.old.value), str(c.new.value)) for c in review.changes] == [("22.0000", "21.0000")]
    assert review.can_be_approved


def test_the_review_shows_explanations_of_warnings(stored, partner, evaluation, lead):
    with in_scope_of(partner):
        pending = upload(partner, lead, evaluation, HEADER + "re_referrals_12m,01/07/2025,31/07/2025,intervention,2,4,200\n")
        assert pending.status == "needs_explanation"
        services.submission_explain(partner=partner, actor=lead, submission=pending, explanation="A new recording system.")
        services.submission_process(submission_id=pending.pk)
    reviews = approval_selectors.period_review_list(partner=partner, evaluation=evaluation)
    (july,) = [r for r in reviews if r.period_start == date(2025, 7, 1)]
    assert [e.submission.explanation for e in july.explanations] == ["A new recording system."]
    assert all(not r.explanations for r in reviews if r is not july)


def test_the_page_approves_the_selected_periods_and_sends_one_back(
    client, stored, partner, evaluation, practice_admin, django_capture_on_commit_callbacks
):
    client = verified_client(client, practice_admin)
    url = reverse("outcomes:practice_periods", args=[evaluation.code])
    page = client.get(url).content.decode()
    assert page.count('name="period_starts"') == 3 and 'data-pine-chart="chart-1"' in page and "Re-referrals" in page
    assert "There is a problem" in client.post(url, {"action": "approve"}).content.decode()
    assert "There is a problem" in client.post(url, {"period_starts": ["2025-04-01", "not-a-date"]}).content.decode()
    assert client.post(url, {"period_starts": ["2025-04-01", "2025-05-01"]}).status_code == 302
    assert PeriodApproval.objects.count() == 2
    period = reverse("outcomes:practice_period", args=[evaluation.code, "2025-06-01"])
    assert "Send back with this query" in client.get(period).content.decode()
    assert "There is a problem" in client.post(period, {"question": ""}).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(period, {"question": "June looks high."}).status_code == 302
    page = client.get(url).content.decode()
    assert "Queried" in page and "June looks high." in page and 'name="period_starts"' not in page
    assert client.get(reverse("outcomes:practice_period", args=[evaluation.code, "2024-01-01"])).status_code == 404
    assert client.get(reverse("outcomes:practice_period", args=[evaluation.code, "junk"])).status_code == 404
    assert client.get(reverse("outcomes:practice_period", args=[uuid.uuid4(), "2025-06-01"])).status_code == 404


def test_the_partner_reads_and_answers_its_query_and_another_partner_gets_404(
    client, stored, partner, evaluation, analyst, lead, viewer, other_lead
):
    query = approval_services.period_query_send(actor=analyst, evaluation=evaluation, period_start=APRIL, question="Why?")
    url = reverse("outcomes:period_query", args=[partner.slug, query.code])
    client.force_login(other_lead)
    assert client.get(url).status_code == 404
    assert client.get(reverse("outcomes:period_query", args=["southbrook", query.code])).status_code == 404
    assert client.get(reverse("outcomes:period_queries", args=["southbrook", evaluation.code])).status_code == 404
    client.force_login(viewer)
    assert "A lead or contributor" in client.get(url).content.decode()
    assert client.post(url, {"answer": "No."}).status_code == 403
    client.force_login(lead)
    assert "Why?" in client.get(reverse("outcomes:period_queries", args=[partner.slug, evaluation.code])).content.decode()
    assert "There is a problem" in client.post(url, {"answer": ""}).content.decode()
    assert client.post(url, {"answer": "Because."}).status_code == 302
    page = client.get(url).content.decode()
    assert "Because." in page and "Send your answer" not in page
    query.refresh_from_db()
    assert query.answer == "Because." and query.answered_by == lead


def test_the_api_reviews_approves_many_queries_and_takes_the_answer(stored, partner, evaluation, analyst, lead, other_lead):
    api = token_client(analyst)
    base = f"/api/v1/practice/evaluations/{evaluation.code}/periods/"
    review = api.get(base + "review/").json()
    assert [(p["period_start"], p["status"], len(p["values"])) for p in review] == [
        ("2025-04-01", "unapproved", 2),
        ("2025-05-01", "unapproved", 1),
        ("2025-06-01", "unapproved", 1),
    ]
    assert review[0]["values"][0]["numerator"] == 50 or review[0]["values"][0]["numerator"] == 40
    response = api.post(base + "approve/", {"period_starts": ["2025-04-01", "2025-05-01"]}, content_type="application/json")
    assert response.status_code == 200 and [p["approved"] for p in response.json()] == [True, True]
    refused = api.post(base + "approve/", {"period_starts": ["2025-06-01", "2031-01-01"]}, content_type="application/json")
    assert refused.status_code == 400 and PeriodApproval.objects.count() == 2
    assert api.post(base + "approve/", {"period_starts": []}, content_type="application/json").status_code == 400
    sent = api.post(base + "queries/", {"period_start": "2025-06-01", "question": "Why?"}, content_type="application/json")
    assert sent.status_code == 201 and sent.json()["is_open"] is True
    code = sent.json()["code"]
    assert (
        api.post(base + "queries/", {"period_start": "2025-06-01", "question": "?"}, content_type="application/json").status_code
        == 400
    )
    assert api.get(base + "review/").json()[2]["status"] == "queried"
    assert api.get(f"/api/v1/practice/evaluations/{uuid.uuid4()}/periods/review/").status_code == 404

    partner_api = token_client(lead)
    listed = partner_api.get(f"/api/v1/partners/{partner.slug}/evaluations/{evaluation.code}/period-queries/").json()
    assert [q["code"] for q in listed["results"]] == [code]
    answer = f"/api/v1/partners/{partner.slug}/period-queries/{code}/answer/"
    assert token_client(other_lead).post(answer, {"answer": "x"}, content_type="application/json").status_code == 404
    assert (
        token_client(other_lead)
        .post(f"/api/v1/partners/southbrook/period-queries/{code}/answer/", {"answer": "x"}, content_type="application/json")
        .status_code
        == 404
    )
    answered = partner_api.post(answer, {"answer": "Checked: right."}, content_type="application/json")
    assert answered.status_code == 200 and answered.json()["answer"] == "Checked: right."
    assert partner_api.post(answer, {"answer": "Again"}, content_type="application/json").status_code == 400
    assert api.get(base + "queries/").json()[0]["answered_by"] == lead.full_name
    assert PeriodQuery.objects.get().answered_at is not None
