"""The practice team's read-only views of a partner's evaluation (/practice/evaluations/<code>/...):
who may see them, what they show, and the audited downloads."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from evaluations.models import EvaluationPlan
from outcomes.models import OutcomeValue, PeriodApproval, Submission
from pine.models import AuditEvent
from reports.models import Report
from tests import factories
from tests.conftest import token_client, verified_client

pytestmark = pytest.mark.django_db

SECTIONS = ["data", "uploads", "history", "theory", "plan", "onboarding", "reports"]
API_ROUTES = [
    "values/", "submissions/", "value-history/", "theory-of-change/versions/", "plan/versions/", "onboarding/",
    "milestones/", "meetings/", "reports/",
]  # fmt: skip


@pytest.fixture
def analyst():
    return factories.PracticeUserFactory(practice_role="analyst", email="analyst@pine.example")


@pytest.fixture
def reviewer():
    return factories.PracticeUserFactory(practice_role="reviewer", email="reviewer@pine.example")


@pytest.fixture
def data(evaluation, lead):
    """Two uploads of the same value (the second replaced the first), one rejected upload with a
    problem, one waiting for an explanation, two plan versions and a finished report."""
    first = factories.SubmissionFactory(evaluation=evaluation, filename="april-first.csv", uploaded_by=lead)
    second = factories.SubmissionFactory(evaluation=evaluation, filename="april-corrected.csv", uploaded_by=lead)
    new = factories.OutcomeValueFactory(submission=second, value="22.5", numerator=45, denominator=200)
    factories.OutcomeValueFactory(
        submission=first, value="20", numerator=40, denominator=200, is_current=False, superseded_by=new
    )
    factories.OutcomeValueFactory(submission=second, group="comparison", value="31.25", numerator=25, denominator=80)
    factories.SubmissionFactory(
        evaluation=evaluation, filename="may-typo.csv", status=Submission.Status.REJECTED,
        errors=[{"row": 3, "column": "value", "value": "abc", "reason": "The value must be a number."}],
    )  # fmt: skip
    factories.SubmissionFactory(
        evaluation=evaluation, filename="june.csv", status=Submission.Status.ACCEPTED,
        explanation="Winter pressures on the front door.",
        warnings=[{
            "kind": "unusual_change", "row": 2, "measure": "re_referrals_12m", "group": "intervention",
            "period_start": "2025-06-01", "value": "48", "previous_period_start": "2025-05-01", "previous_value": "22.5",
            "reason": "More than doubled.",
        }],
    )  # fmt: skip
    plan = {
        "partner": evaluation.partner,
        "evaluation": evaluation,
        "created_by": lead,
        "research_questions": "Fewer re-referrals?",
    }
    EvaluationPlan.objects.create(**plan, version=1, status="signed_off", design="its")
    EvaluationPlan.objects.create(**plan, version=2, design="did", change_reason="A comparison area joined.")
    factories.ReportFactory(evaluation=evaluation, status=Report.Status.DONE, html=b"<html>the report</html>", pdf=b"%PDF-1.7")
    return evaluation


def _urls(evaluation) -> list[str]:
    return [reverse(f"reports:practice_evaluation_{name}", args=[evaluation.code]) for name in SECTIONS] + [
        reverse("evaluations:practice_evaluation", args=[evaluation.code])
    ]


def test_practice_admins_and_analysts_see_every_section(data, practice_admin, analyst):
    for user in (practice_admin, analyst):
        client = verified_client(Client(), user)
        for url in _urls(data):
            response = client.get(url)
            assert response.status_code == 200, (user.practice_role, url)
            assert 'aria-current="page"' in response.content.decode(), url


def test_reviewers_partner_users_and_strangers_do_not(data, reviewer, lead, other_lead):
    reviewer_client = verified_client(Client(), reviewer)
    anonymous = Client()
    for url in _urls(data):
        assert reviewer_client.get(url).status_code == 403, url
        for partner_user in (lead, other_lead):
            client = Client()
            client.force_login(partner_user)
            assert client.get(url).status_code == 404, url
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_an_unknown_evaluation_and_another_evaluations_upload_are_not_found(data, other_evaluation, analyst):
    client = verified_client(Client(), analyst)
    other_upload = factories.SubmissionFactory(evaluation=other_evaluation)
    assert (
        client.get(reverse("reports:practice_evaluation_data", args=["0" * 8 + "-0000-4000-8000-" + "0" * 12])).status_code == 404
    )
    assert client.get(reverse("reports:practice_evaluation_upload", args=[data.code, other_upload.code])).status_code == 404
    assert (
        client.get(reverse("reports:practice_evaluation_upload", args=[other_evaluation.code, other_upload.code])).status_code
        == 200
    )
    for bad in ("?version=x", "?version=99999", "?version=7"):
        assert client.get(reverse("reports:practice_evaluation_theory", args=[data.code]) + bad).status_code == 404
    for bad in ("?from=x", "?from=1&to=9", "?to=-1"):
        assert client.get(reverse("reports:practice_evaluation_plan", args=[data.code]) + bad).status_code == 404
    assert client.get(reverse("reports:practice_evaluation_uploads", args=[data.code]) + "?page=zzz").status_code == 200


def test_the_values_table_shows_the_stored_values_with_a_chart_per_measure(data, analyst):
    PeriodApproval.objects.create(partner=data.partner, evaluation=data, period_start=date(2025, 4, 1), approved_by=analyst)
    page = verified_client(Client(), analyst).get(reverse("reports:practice_evaluation_data", args=[data.code])).content.decode()
    assert "Re-referrals within 12 months" in page
    assert "22.5" in page and "45 of 200" in page and "31.25" in page and "25 of 80" in page
    assert "40 of 200" not in page  # the replaced value is history, not data
    assert "Intervention" in page and "Comparison" in page and "Approved" in page
    assert 'data-pine-chart="figure-re_referrals_12m"' in page and 'id="figure-re_referrals_12m"' in page
    assert "/assets/plotly-" in page and ".min.js" in page


def test_the_uploads_show_their_problems_warnings_and_explanation(data, analyst):
    client = verified_client(Client(), analyst)
    listing = client.get(reverse("reports:practice_evaluation_uploads", args=[data.code])).content.decode()
    assert "may-typo.csv" in listing and "Rejected" in listing and "Winter pressures on the front door." in listing
    rejected = Submission.objects.get(filename="may-typo.csv")
    page = client.get(reverse("reports:practice_evaluation_upload", args=[data.code, rejected.code])).content.decode()
    assert "The value must be a number." in page and "abc" in page
    explained = Submission.objects.get(filename="june.csv")
    page = client.get(reverse("reports:practice_evaluation_upload", args=[data.code, explained.code])).content.decode()
    assert "More than doubled." in page and "Winter pressures on the front door." in page


def test_the_value_history_shows_old_and_new_values_and_their_uploads(data, analyst):
    page = (
        verified_client(Client(), analyst).get(reverse("reports:practice_evaluation_history", args=[data.code])).content.decode()
    )
    assert "20 (40 of 200)" in page and "22.5 (45 of 200)" in page
    assert "april-first.csv" in page and "april-corrected.csv" in page


def test_the_plan_page_shows_the_differences_between_versions(data, analyst):
    client = verified_client(Client(), analyst)
    page = client.get(reverse("reports:practice_evaluation_plan", args=[data.code])).content.decode()
    assert "Version 1 and version 2 compared" in page and "A comparison area joined." in page
    assert "Interrupted time series" in page and "Comparison group (difference-in-differences)" in page
    assert page.count("Changed</strong>") == 1  # the design; the research questions are the same
    assert "Sign off version 2" not in page  # analysts do not sign off


def test_the_agreement_download_is_scoped_and_audited(data, analyst, other_evaluation):
    client = verified_client(Client(), analyst)
    response = client.get(reverse("reports:practice_evaluation_agreement", args=[data.code]))
    assert response.status_code == 200 and response.content == b"%PDF-1.4 signed"
    assert "attachment" in response["Content-Disposition"]
    event = AuditEvent.objects.get(action="onboarding.dsa_download")
    assert event.actor == analyst and event.partner == data.partner and event.object_code == str(data.code)
    assert event.changes == {"dsa_filename": "data-sharing-agreement.pdf"}
    other_evaluation.onboarding.delete()
    assert client.get(reverse("reports:practice_evaluation_agreement", args=[other_evaluation.code])).status_code == 404
    assert AuditEvent.objects.filter(action="onboarding.dsa_download").count() == 1


def test_report_downloads_are_scoped_to_the_evaluation_and_audited(data, analyst, other_evaluation):
    client = verified_client(Client(), analyst)
    report = Report.objects.get(evaluation=data)
    response = client.get(reverse("reports:practice_evaluation_report_download", args=[data.code, report.code, "html"]))
    assert response.status_code == 200 and response.content == b"<html>the report</html>"
    event = AuditEvent.objects.get(action="report.download")
    assert event.actor == analyst and event.object_code == str(report.code) and event.changes == {"kind": "html"}
    wrong = reverse("reports:practice_evaluation_report_download", args=[other_evaluation.code, report.code, "pdf"])
    assert client.get(wrong).status_code == 404
    assert AuditEvent.objects.filter(action="report.download").count() == 1


def test_the_api_gives_each_views_data_to_admins_and_analysts_only(data, analyst, reviewer, lead):
    base = f"/api/v1/practice/evaluations/{data.code}/"
    api = token_client(analyst)
    for route in API_ROUTES:
        assert api.get(base + route).status_code == 200, route
    values = api.get(base + "values/").json()["results"]
    assert {(v["group"], v["value"], v["numerator"], v["approved"]) for v in values} == {
        ("intervention", "22.5000", 45, False),
        ("comparison", "31.2500", 25, False),
    }
    history = api.get(base + "value-history/").json()["results"]
    assert [(h["old"]["value"], h["new"]["value"]) for h in history] == [("20.0000", "22.5000")]
    comparison = api.get(base + "plan/comparison/").json()
    assert comparison["older"] == 1 and comparison["newer"] == 2
    assert [row["field"] for row in comparison["rows"] if row["changed"]] == ["design"]
    assert api.get(base + "plan/comparison/?from=x").status_code == 404
    uploads = api.get(base + "submissions/").json()["results"]
    assert any(u["errors"] and u["errors"][0]["reason"] == "The value must be a number." for u in uploads)
    for client, status in ((token_client(reviewer), 403), (token_client(lead), 404)):
        for route in API_ROUTES:
            assert client.get(base + route).status_code == status, route
    assert OutcomeValue.objects.filter(evaluation=data).count() == 3


def test_the_practice_pages_listing_evaluations_link_to_it(accepted, practice_admin):
    client = verified_client(Client(), practice_admin)
    link = f'href="{reverse("evaluations:practice_evaluation", args=[accepted.code])}"'
    assert link in client.get(reverse("practice_home")).content.decode()
    assert link in client.get(reverse("cohorts:practice_application", args=[accepted.application.code])).content.decode()
    assert link in client.get(reverse("outcomes:practice_periods", args=[accepted.code])).content.decode()


def test_the_pages_read_a_fixed_number_of_queries_however_much_data(data, analyst, lead):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = verified_client(Client(), analyst)
    names = ["data", "uploads", "history", "plan", "reports"]

    def counts() -> dict[str, int]:
        found = {}
        for name in names:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse(f"reports:practice_evaluation_{name}", args=[data.code])).status_code == 200
            found[name] = len(queries)
        return found

    before = counts()
    upload = factories.SubmissionFactory(evaluation=data, filename="more.csv", uploaded_by=lead)
    for month in range(5, 11):
        start = date(2025, month, 1)
        replaced = factories.OutcomeValueFactory(submission=upload, period_start=start, period_end=start, is_current=False)
        new = factories.OutcomeValueFactory(
            submission=upload, period_start=start, period_end=start, measure__code="referrals_nfa"
        )
        OutcomeValue.objects.filter(pk=replaced.pk).update(superseded_by=new)
    factories.ReportFactory(evaluation=data, status=Report.Status.DONE, html=b"<html></html>")
    assert counts() == before


def test_the_tables_show_values_as_people_read_them():
    import pandas as pd

    from reports import evaluation_data

    assert [evaluation_data.number(v) for v in (20.0, 22.5, 1234.567, 0.004, -0.0)] == ["20", "22.5", "1,234.57", "0", "0"]
    frame = pd.DataFrame(
        [
            ("m", "Measure", "count", "lower", "2025-04-01", "2025-04-30", "all", float("nan"), pd.NA, 0, False),
            ("m", "Measure", "count", "lower", "2025-05-01", "2025-05-31", "intervention", 3.0, pd.NA, pd.NA, True),
        ],
        columns=["measure_code", "measure_name", "unit", "polarity", "period_start", "period_end", "group", "value",
                 "numerator", "denominator", "approved"],
    )  # fmt: skip
    frame["period_start"], frame["period_end"] = pd.to_datetime(frame["period_start"]), pd.to_datetime(frame["period_end"])
    [table] = evaluation_data.measure_tables(frame)
    assert table["groups"] == ["Intervention", "All children"] and table["unit"] == "Count"
    assert [p["cells"] for p in table["periods"]] == [
        [None, {"value": "not estimable", "counts": ""}],
        [{"value": "3", "counts": ""}, None],
    ]
    assert [p["approved"] for p in table["periods"]] == [False, True]
    assert set(evaluation_data.measure_figures(frame)) == {"m"}
