"""The workbook and the Word document of a built report: stored with the others in the same
update, downloaded from the report's page, through the API and by the practice team, under
descriptive names; another partner gets 404."""

import io

import docx
import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from evaluations import services as evaluation_services
from pine import services as pine_services
from reports import documents
from reports.models import Report
from tests.conftest import verified_client
from tests.reports.test_versions import PLAN, build, with_data  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def report(with_data, partner, lead, monkeypatch):  # noqa: F811
    """A version built from a draft plan (tables only: the charts are tested in test_word)."""
    monkeypatch.setattr(documents, "chart_browser", lambda: None)
    evaluation_services.plan_save_draft(partner=partner, actor=lead, evaluation=with_data, **PLAN)
    return build(partner, lead, with_data)


def test_the_build_stores_the_workbook_and_the_document_with_the_other_files(report):
    assert report.status == Report.Status.DONE
    book = openpyxl.load_workbook(io.BytesIO(bytes(report.xlsx)))
    assert book.sheetnames == ["Read me", "Findings", "1 re_referrals_12m"]
    assert book["1 re_referrals_12m"].max_row == 4 + 48  # a row per period and group, after the header
    assert book["Read me"]["A1"].value.startswith("DRAFT: ")  # the plan is not signed off
    document = docx.Document(io.BytesIO(bytes(report.docx)))
    assert document.sections[0].header.paragraphs[0].text == documents.DRAFT_HEADER
    assert report.evaluation.title in [p.text for p in document.paragraphs if p.style.name == "Title"]


def test_they_download_from_the_page_and_through_the_api(client, lead, partner, report):
    client.force_login(lead)
    page = client.get(reverse("reports:report", args=[partner.slug, report.code])).content.decode()
    assert "download.xlsx" in page and "download.docx" in page
    _, key = pine_services.api_token_create(user=lead, name="t")
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    for kind, content_type, stored in (("xlsx", XLSX, report.xlsx), ("docx", DOCX, report.docx)):
        download = client.get(reverse("reports:report_download", args=[partner.slug, report.code, kind]))
        assert download.status_code == 200 and download["Content-Type"] == content_type
        assert download.content == bytes(stored)
        assert download["Content-Disposition"].startswith('attachment; filename="')
        assert download["Content-Disposition"].endswith(f'-{report.created_at:%Y-%m-%d}-v{report.version}-draft.{kind}"')
        through_api = api.get(f"/api/v1/partners/{partner.slug}/reports/{report.code}/{kind}/")
        assert through_api.status_code == 200 and through_api.content == bytes(stored)
        assert through_api["Content-Type"] == content_type


def test_the_practice_team_downloads_them_too(practice_admin, report):
    client = verified_client(Client(), practice_admin)
    url = reverse("reports:practice_evaluation_report_download", args=[report.evaluation.code, report.code, "docx"])
    assert client.get(url).content == bytes(report.docx)


def test_a_report_built_before_them_has_no_workbook_to_download(client, lead, partner, report):
    Report.objects.filter(pk=report.pk).update(xlsx=None, docx=None)
    client.force_login(lead)
    assert client.get(reverse("reports:report_download", args=[partner.slug, report.code, "xlsx"])).status_code == 404


def test_the_other_partner_gets_404_for_them(client, partner, report, other_lead, other_partner):
    client.force_login(other_lead)
    _, key = pine_services.api_token_create(user=other_lead, name="t")
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    for kind in ("xlsx", "docx"):
        for slug in (partner.slug, other_partner.slug):
            assert client.get(reverse("reports:report_download", args=[slug, report.code, kind])).status_code == 404
            assert api.get(f"/api/v1/partners/{slug}/reports/{report.code}/{kind}/").status_code in (403, 404)
        assert api.get(f"/api/v1/partners/{other_partner.slug}/reports/{report.code}/{kind}/").status_code == 404
