"""Uploading outcome data: by page and API, stored whole or not at all, and never another partner's."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.urls import reverse

from outcomes import services
from outcomes.models import OutcomeValue, Submission
from pine import services as pine_services
from tests import factories

pytestmark = pytest.mark.django_db

GOOD = (
    "measure,period_start,period_end,group,value,numerator,denominator\n"
    "re_referrals_12m,01/04/2025,30/04/2025,intervention,22.5,45,200\n"
    "re_referrals_12m,01/05/2025,31/05/2025,intervention,20.0,40,200\n"
)
BAD = GOOD + "made_up_measure,01/06/2025,30/06/2025,intervention,1,,\n"


def upload(client, partner, evaluation, text, name="data.csv", **extra):
    with workers():
        return client.post(
            reverse("reports:evaluation", args=[partner.slug, evaluation.code]),
            {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv"), **extra},
        )


def workers():
    """Run the Celery tasks queued on commit (eager mode runs them in-process)."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def test_a_good_file_is_stored_and_the_page_says_so(client, contributor, partner, evaluation):
    client.force_login(contributor)
    response = upload(client, partner, evaluation, GOOD)
    submission = Submission.objects.get()
    assert response.url == reverse("outcomes:submission", args=[partner.slug, submission.code])
    assert "File accepted" in client.get(response.url).content.decode()
    assert OutcomeValue.objects.filter(evaluation=evaluation, partner=partner).count() == 2


def test_a_file_with_any_problem_stores_nothing_and_lists_every_problem(client, contributor, partner, evaluation):
    client.force_login(contributor)
    response = upload(client, partner, evaluation, BAD)
    page = client.get(response.url).content.decode()
    assert "nothing from it was stored" in page and "made_up_measure" in page and "Unknown measure code" in page
    assert OutcomeValue.objects.count() == 0
    csv = client.get(reverse("outcomes:submission_problems", args=[partner.slug, Submission.objects.get().code]))
    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode().splitlines()[1].startswith("4,measure,made_up_measure,Unknown measure code")


def test_the_problems_csv_neutralises_formulas(client, contributor, partner, evaluation):
    client.force_login(contributor)
    upload(client, partner, evaluation, GOOD + "=HYPERLINK(1),01/06/2025,30/06/2025,all,1,,\n")
    csv = client.get(reverse("outcomes:submission_problems", args=[partner.slug, Submission.objects.get().code])).content.decode()
    assert ",'=HYPERLINK(1)," in csv


def test_an_upload_without_a_file_shows_the_error_on_the_page(client, contributor, partner, evaluation):
    client.force_login(contributor)
    response = client.post(reverse("reports:evaluation", args=[partner.slug, evaluation.code]), {})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()


def test_viewers_cannot_upload(client, viewer, partner, evaluation):
    client.force_login(viewer)
    assert upload(client, partner, evaluation, GOOD).status_code == 403
    assert not Submission.objects.exists()


def test_re_uploading_a_period_supersedes_its_values_and_keeps_the_history(lead, partner, evaluation):
    first = services.submission_upload(
        partner=partner, actor=lead, evaluation=evaluation, filename="a.csv", content=GOOD.encode()
    )
    newer = GOOD.replace("22.5,45,200", "25.0,50,200")
    second = services.submission_upload(
        partner=partner, actor=lead, evaluation=evaluation, filename="b.csv", content=newer.encode()
    )
    current = OutcomeValue.objects.filter(evaluation=evaluation, is_current=True).order_by("period_start")
    assert [float(v.value) for v in current] == [25.0, 20.0]
    assert Submission.objects.count() == 2  # the earlier file is kept
    old = OutcomeValue.objects.get(submission=first, period_start="2025-04-01")
    assert not old.is_current and float(old.value) == 22.5 and old.superseded_by.submission == second
    # The unchanged May value is superseded too (by an equal value), so each period has one current version.
    assert OutcomeValue.objects.filter(evaluation=evaluation).count() == 4
    assert second.change_counts() == {"new": 0, "changed": 1, "unchanged": 1}
    changed = next(c for c in second.changes if c["kind"] == "changed")
    assert (changed["old"]["value"], changed["new"]["value"]) == ("22.5", "25")
    assert services_frame_values(partner, evaluation) == [25.0, 20.0]


def test_the_upload_page_shows_each_measure_by_name_and_each_value_as_the_tables_do(client, lead, partner, evaluation):
    """Changes list the measure's name beside its code and each value at its unit's precision
    (a percentage to one place with its sign), not as sent (14.2857); the stored changes keep it."""
    client.force_login(lead)
    upload(client, partner, evaluation, GOOD)
    sent = GOOD.replace("22.5,45,200", "14.2857,2,14")
    response = upload(client, partner, evaluation, sent, name="b.csv")
    page = client.get(response.url).content.decode()
    assert "Re-referrals within 12 months" in page and "<code>re_referrals_12m</code>" in page
    assert "22.5% → 14.3%" in page and "Unchanged</strong> 20.0%" in page and "14.2857" not in page
    changed = next(c for c in Submission.objects.get(filename="b.csv").changes if c["kind"] == "changed")
    assert changed["new"]["value"] == "14.2857"


def services_frame_values(partner, evaluation):
    from outcomes.selectors import outcome_frame

    return outcome_frame(partner=partner, evaluation=evaluation)["value"].tolist()


def test_upload_through_the_api(lead, partner, evaluation):
    _, key = pine_services.api_token_create(user=lead, name="t")
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    url = f"/api/v1/partners/{partner.slug}/evaluations/{evaluation.code}/submissions/"
    with workers():
        response = api.post(url, {"file": SimpleUploadedFile("d.csv", BAD.encode())})
    assert response.status_code == 201
    assert response.json()["status"] == "queued"  # a worker checks it; poll the submission
    body = api.get(f"/api/v1/partners/{partner.slug}/submissions/{response.json()['code']}/").json()
    assert body["status"] == "rejected"
    assert body["errors"][0] == {"row": 4, "column": "measure", "value": "made_up_measure", "reason": body["errors"][0]["reason"]}
    with workers():
        ok = api.post(url, {"file": SimpleUploadedFile("d.csv", GOOD.encode())}).json()
    ok = api.get(f"/api/v1/partners/{partner.slug}/submissions/{ok['code']}/").json()
    assert ok["status"] == "accepted" and ok["row_count"] == 2
    assert api.get(f"/api/v1/partners/{partner.slug}/submissions/{ok['code']}/").json()["filename"] == "d.csv"
    assert len(api.get(url).json()["results"]) == 2
    assert api.get("/api/v1/measures/?limit=100").json()["count"] >= 15


class TestOtherPartner:
    def test_pages_and_api_give_404_for_this_partners_data(self, client, lead, partner, evaluation, other_lead, other_partner):
        submission = services.submission_upload(
            partner=partner, actor=lead, evaluation=evaluation, filename="a.csv", content=BAD.encode()
        )
        client.force_login(other_lead)
        for url in [
            reverse("reports:evaluation", args=[partner.slug, evaluation.code]),
            reverse("reports:evaluation", args=[other_partner.slug, evaluation.code]),
            reverse("outcomes:submission", args=[partner.slug, submission.code]),
            reverse("outcomes:submission", args=[other_partner.slug, submission.code]),
            reverse("outcomes:submission_problems", args=[other_partner.slug, submission.code]),
        ]:
            assert client.get(url).status_code == 404, url
        assert upload(client, other_partner, evaluation, GOOD).status_code == 404
        for slug in (partner.slug, other_partner.slug):
            explain = reverse("outcomes:submission", args=[slug, submission.code])
            assert client.post(explain, {"explanation": "x"}).status_code == 404
        _, key = pine_services.api_token_create(user=other_lead, name="t")
        api = Client(HTTP_AUTHORIZATION=f"Token {key}")
        for url in [
            f"/api/v1/partners/{partner.slug}/evaluations/{evaluation.code}/",
            f"/api/v1/partners/{other_partner.slug}/evaluations/{evaluation.code}/",
            f"/api/v1/partners/{other_partner.slug}/evaluations/{evaluation.code}/submissions/",
            f"/api/v1/partners/{other_partner.slug}/submissions/{submission.code}/",
        ]:
            assert api.get(url).status_code == 404, url
        response = api.post(
            f"/api/v1/partners/{other_partner.slug}/evaluations/{evaluation.code}/submissions/",
            {"file": SimpleUploadedFile("d.csv", GOOD.encode())},
        )
        assert response.status_code == 404
        assert OutcomeValue.objects.count() == 0


def test_factories_keep_children_in_their_parents_partner():
    value = factories.OutcomeValueFactory()
    assert value.partner == value.submission.partner == value.evaluation.partner == value.evaluation.application.partner


def test_periods_outside_the_evaluation_plan_are_refused_naming_the_plan(lead, partner, evaluation):
    from datetime import date

    from evaluations import services as evaluation_services

    evaluation_services.plan_save_draft(
        partner=partner, actor=lead, evaluation=evaluation, baseline_start=date(2025, 5, 1), baseline_end=date(2025, 12, 31),
        follow_up_start=date(2026, 1, 1), follow_up_end=date(2026, 12, 31),
    )  # fmt: skip
    submission = services.submission_upload(
        partner=partner, actor=lead, evaluation=evaluation, filename="a.csv", content=GOOD.encode()
    )
    assert submission.status == Submission.Status.REJECTED
    assert [(p["row"], p["column"], p["value"]) for p in submission.errors] == [(2, "period_start", "01/04/2025")]
    assert "outside the evaluation plan (version 1), which runs from 01/05/2025 to 31/12/2026" in submission.errors[0]["reason"]
    assert OutcomeValue.objects.filter(evaluation=evaluation).count() == 0


@pytest.mark.parametrize(
    "text, reason",
    [
        ("measure,period_start,period_end,group,value\nre_referrals_12m,01/04/2025\n", "fewer"),
        ('measure,period_start,period_end,group,value\nre_referrals_12m,01/04/2025,30/04/2025,all,"20\n', "quote"),
    ],
)
def test_a_malformed_csv_is_refused_with_a_problem_not_an_error_page(text, reason, client, lead, partner, evaluation):
    """(Found by the security review: these gave a 500, whose debug page echoed the file.)"""
    client.force_login(lead)
    upload = SimpleUploadedFile("broken.csv", text.encode())
    with workers():
        response = client.post(reverse("reports:evaluation", args=[partner.slug, evaluation.code]), {"file": upload}, follow=True)
    assert response.status_code == 200
    submission = Submission.objects.get(evaluation=evaluation)
    assert submission.status == Submission.Status.REJECTED and reason in submission.errors[0]["reason"]


def test_a_value_too_large_to_store_is_a_problem_not_a_failure(lead, partner, evaluation):
    text = "measure,period_start,period_end,group,value\nentries_to_care,01/04/2025,30/04/2025,all,1e100000\n"
    submission = services.submission_upload(
        partner=partner, actor=lead, evaluation=evaluation, filename="huge.csv", content=text.encode()
    )
    assert submission.status == Submission.Status.REJECTED
    assert (submission.errors[0]["column"], submission.errors[0]["value"]) == ("value", "1e100000")
