"""Report versions: numbered, built from a recorded plan and data snapshot, reproducible to the byte,
marked DRAFT when the plan is not signed off, and their results JSON downloadable."""

import json
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from evaluations import services as evaluation_services
from outcomes import services as outcome_services
from pine import services as pine_services
from reports import services
from reports.models import Report

pytestmark = pytest.mark.django_db

# Two years of one measure, monthly, for the intervention and comparison groups.
ROWS = ["measure,period_start,period_end,group,value,numerator,denominator"]
for year, month in [(2023 + (m + 3) // 12, (m + 3) % 12 + 1) for m in range(24)]:
    end = date(year + month // 12, month % 12 + 1, 1).toordinal() - 1
    last = date.fromordinal(end)
    for group, x in (("intervention", 40 - (m := (year - 2023) * 12 + month)), ("comparison", 30)):
        ROWS.append(f"re_referrals_12m,01/{month:02d}/{year},{last:%d/%m/%Y},{group},{100 * x / 200:.4f},{x},200")
DATA = "\n".join(ROWS) + "\n"

PLAN = {
    "research_questions": "Do fewer children come back within a year?",
    "design": "did",
    "intervention_start": date(2024, 4, 1),
    "baseline_start": date(2023, 4, 1),
    "baseline_end": date(2024, 3, 31),
    "follow_up_start": date(2024, 4, 1),
    "follow_up_end": date(2025, 3, 31),
    "comparison_group": "Two other districts",
    "measures": [{"code": "re_referrals_12m", "direction": "decrease", "role": "primary"}],
}


@pytest.fixture
def with_data(evaluation, lead, partner):
    outcome_services.submission_upload(
        partner=partner, actor=lead, evaluation=evaluation, filename="d.csv", content=DATA.encode()
    )
    return evaluation


def build(partner, actor, evaluation) -> Report:
    report = services.report_request(partner=partner, actor=actor, evaluation=evaluation)
    services.report_build(report_id=report.pk)
    return Report.objects.select_related("evaluation", "partner", "plan").get(pk=report.pk)


def test_a_report_is_not_offered_or_built_without_data(client, lead, partner, evaluation):
    client.force_login(lead)
    page = client.get(reverse("reports:evaluation", args=[partner.slug, evaluation.code])).content.decode()
    assert "Build a report" not in page and "once you have uploaded outcome data" in page
    response = client.post(reverse("reports:report_request", args=[partner.slug, evaluation.code]), follow=True)
    assert "There is no outcome data yet" in response.content.decode() and not Report.objects.exists()
    _, key = pine_services.api_token_create(user=lead, name="t")
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    refused = api.post(f"/api/v1/partners/{partner.slug}/evaluations/{evaluation.code}/reports/")
    assert refused.status_code == 400 and "no outcome data" in json.dumps(refused.json())


def test_versions_follow_the_signed_off_plan_and_a_draft_plan_marks_the_report_draft(lead, partner, practice_admin, with_data):
    plan = evaluation_services.plan_save_draft(partner=partner, actor=lead, evaluation=with_data, **PLAN)
    first = build(partner, lead, with_data)
    assert (first.version, first.draft, first.plan.version) == (1, True, 1)
    assert "DRAFT" in bytes(first.html).decode()
    evaluation_services.plan_sign_off(actor=practice_admin, plan=plan)
    second = build(partner, lead, with_data)
    assert (second.version, second.draft) == (2, False)
    assert "DRAFT" not in bytes(second.html).decode()
    results = json.loads(bytes(second.results))
    assert results["version"] == 2 and results["plan_version"] == 1 and results["design"] == "did"
    assert results["data_checksum"] == second.data_checksum and len(second.data_checksum) == 64
    assert results["code_version"] == second.code_version == services.code_version()
    measure = results["measures"][0]
    assert measure["measure"] == "re_referrals_12m" and measure["primary"] is True
    assert measure["conclusion"] == "improved"  # the intervention group falls by one child a month
    assert measure["ci_high"] < 0 and len(measure["cells"]) == 48


def test_a_version_rebuilt_from_its_snapshot_gives_the_same_bytes_after_the_data_changed(
    lead, partner, practice_admin, with_data
):
    plan = evaluation_services.plan_save_draft(partner=partner, actor=lead, evaluation=with_data, **PLAN)
    evaluation_services.plan_sign_off(actor=practice_admin, plan=plan)
    report = build(partner, lead, with_data)
    stored = bytes(report.results)
    first_row = ROWS[1].split(",")  # April 2023, intervention: 36 of 200
    first_row[4:6] = ["19.0000", "38"]
    upload = outcome_services.submission_upload(
        partner=partner,
        actor=lead,
        evaluation=with_data,
        filename="fix.csv",
        content=f"{ROWS[0]}\n{','.join(first_row)}\n".encode(),
    )
    assert upload.status == "accepted"
    rebuilt, checksum = services.report_results(report=report)
    assert rebuilt == stored and checksum == report.data_checksum
    assert build(partner, lead, with_data).data_checksum != report.data_checksum


def test_the_results_json_downloads_on_the_page_and_through_the_api(client, lead, partner, with_data):
    report = build(partner, lead, with_data)
    client.force_login(lead)
    page = client.get(reverse("reports:report", args=[partner.slug, report.code])).content.decode()
    assert "download.json" in page and report.data_checksum in page
    download = client.get(reverse("reports:report_download", args=[partner.slug, report.code, "json"]))
    assert download["Content-Type"] == "application/json" and download.content == bytes(report.results)
    assert download["Content-Disposition"].endswith(f'-v{report.version}-draft.json"')
    assert partner.slug.split("-")[0] in download["Content-Disposition"]
    _, key = pine_services.api_token_create(user=lead, name="t")
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(f"/api/v1/partners/{partner.slug}/reports/{report.code}/json/").content == bytes(report.results)
    listed = api.get(f"/api/v1/partners/{partner.slug}/reports/{report.code}/").json()
    assert listed["version"] == 1 and listed["draft"] is True and listed["data_checksum"] == report.data_checksum
