"""The JSON batch API for partners' systems: a retried request never duplicates data."""

import pytest
from django.test import Client, TestCase

from outcomes.models import OutcomeValue, Submission
from pine import services as pine_services

pytestmark = pytest.mark.django_db

ROWS = [
    {
        "measure": "re_referrals_12m",
        "period_start": "2025-04-01",
        "period_end": "2025-04-30",
        "group": "intervention",
        "value": 22.5,
        "numerator": 45,
        "denominator": 200,
    },
    {"measure": "cp_plans_rate", "period_start": "01/04/2025", "period_end": "30/04/2025", "group": "all", "value": "48.1"},
]


def api_for(user):
    _, key = pine_services.api_token_create(user=user, name="t")
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def post(api, partner, evaluation, body, key="batch-1"):
    headers = {"Idempotency-Key": key} if key else {}
    with TestCase.captureOnCommitCallbacks(execute=True):
        return api.post(
            f"/api/v1/partners/{partner.slug}/evaluations/{evaluation.code}/submissions/batch/",
            body,
            content_type="application/json",
            headers=headers,
        )


def test_a_batch_is_stored_and_a_retry_returns_the_same_submission(lead, partner, evaluation):
    api = api_for(lead)
    first = post(api, partner, evaluation, {"rows": ROWS})
    assert first.status_code == 201
    code = first.json()["code"]
    status = api.get(f"/api/v1/partners/{partner.slug}/submissions/{code}/").json()
    assert status["status"] == "accepted" and status["row_count"] == 2
    again = post(api, partner, evaluation, {"rows": ROWS})
    assert again.status_code == 200 and again.json()["code"] == code and again.json()["status"] == "accepted"
    assert Submission.objects.count() == 1 and OutcomeValue.objects.count() == 2


def test_the_same_key_with_a_different_body_is_a_conflict(lead, partner, evaluation):
    api = api_for(lead)
    post(api, partner, evaluation, {"rows": ROWS})
    changed = [dict(ROWS[0], value=23), ROWS[1]]
    response = post(api, partner, evaluation, {"rows": changed})
    assert response.status_code == 409 and "Idempotency-Key" in response.json()["detail"]
    assert post(api, partner, evaluation, {"rows": ROWS, "dry_run": True}).status_code == 409
    assert Submission.objects.count() == 1


def test_a_batch_needs_a_key_and_rows(lead, partner, evaluation):
    api = api_for(lead)
    assert post(api, partner, evaluation, {"rows": ROWS}, key="").status_code == 400
    assert post(api, partner, evaluation, {"rows": []}).status_code == 400
    assert post(api, partner, evaluation, {"rows": [{"measure": "x"}]}).status_code == 400
    assert not Submission.objects.exists()


def test_bad_rows_are_rejected_with_problems_and_a_dry_run_stores_nothing(lead, partner, evaluation):
    api = api_for(lead)
    bad = post(api, partner, evaluation, {"rows": [dict(ROWS[0], value="=1+1"), ROWS[1]]}, key="bad")
    status = api.get(f"/api/v1/partners/{partner.slug}/submissions/{bad.json()['code']}/").json()
    assert status["status"] == "rejected"
    assert (
        status["errors"][0]["row"] == 2
        and status["errors"][0]["column"] == "value"
        and "formulas" in status["errors"][0]["reason"]
    )
    dry = post(api, partner, evaluation, {"rows": ROWS, "dry_run": True}, key="dry")
    status = api.get(f"/api/v1/partners/{partner.slug}/submissions/{dry.json()['code']}/").json()
    assert status["status"] == "checked" and [c["kind"] for c in status["changes"]] == ["new", "new"]
    assert not OutcomeValue.objects.exists()


def test_explaining_warnings_through_the_api(lead, partner, evaluation):
    api = api_for(lead)
    post(api, partner, evaluation, {"rows": ROWS[:1]}, key="a")
    jump = [dict(ROWS[0], period_start="2025-05-01", period_end="2025-05-31", value=2, numerator=4)]
    code = post(api, partner, evaluation, {"rows": jump}, key="b").json()["code"]
    url = f"/api/v1/partners/{partner.slug}/submissions/{code}/"
    assert api.get(url).json()["status"] == "needs_explanation"
    assert api.post(url + "explanation/", {"explanation": ""}, content_type="application/json").status_code == 400
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = api.post(url + "explanation/", {"explanation": "Recording changed."}, content_type="application/json")
    assert response.status_code == 200
    assert api.get(url).json()["status"] == "accepted"
    assert api.post(url + "explanation/", {"explanation": "again"}, content_type="application/json").status_code == 400


def test_idempotency_keys_are_per_partner_and_other_partners_get_404(
    lead, partner, evaluation, other_lead, other_partner, other_evaluation
):
    code = post(api_for(lead), partner, evaluation, {"rows": ROWS}).json()["code"]
    other = api_for(other_lead)
    # The same key at another partner is a different request, not a conflict or a replay.
    assert post(other, other_partner, other_evaluation, {"rows": ROWS}).status_code == 201
    assert post(other, other_partner, evaluation, {"rows": ROWS}, key="x").status_code == 404
    assert post(other, partner, evaluation, {"rows": ROWS}, key="x").status_code == 404
    for url in [
        f"/api/v1/partners/{other_partner.slug}/submissions/{code}/",
        f"/api/v1/partners/{partner.slug}/submissions/{code}/",
    ]:
        assert other.get(url).status_code == 404
        assert other.post(url + "explanation/", {"explanation": "x"}, content_type="application/json").status_code == 404
    assert OutcomeValue.objects.filter(partner=partner).count() == 2


def test_child_level_rows_in_a_batch_are_pseudonymised_and_a_retry_matches(lead, partner, evaluation):
    from outcomes.models import ChildRecord

    api = api_for(lead)
    raw = "LA-CHILD-990001"
    rows = [
        {
            "child_ref": raw,
            "measure": "entries_to_care",
            "period_start": "2025-04-01",
            "period_end": "2025-04-30",
            "group": "all",
            "value": "",
        },
        {
            "child_ref": "LA-CHILD-990002",
            "measure": "entries_to_care",
            "period_start": "2025-04-01",
            "period_end": "2025-04-30",
            "group": "all",
            "value": "",
        },
    ]
    first = post(api, partner, evaluation, {"rows": rows}, key="children")
    assert first.status_code == 201
    assert post(api, partner, evaluation, {"rows": rows}, key="children").json()["code"] == first.json()["code"]
    submission = Submission.objects.get()
    assert submission.status == "accepted" and ChildRecord.objects.count() == 2
    assert OutcomeValue.objects.get().value == 2
    assert raw not in submission.kept_bytes().decode() and raw not in submission.body_hash
