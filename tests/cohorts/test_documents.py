"""Documents attached to a cohort's call: practice admins upload (PDF, DOCX, XLSX, ODT, CSV; at
most 10MB; the type from the name, checked against the bytes) and delete them; the public page of
a published call lists them for download; a draft's are not found."""

import io
import zipfile

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cohorts.models import Cohort, CohortDocument
from cohorts.services import events as services
from pine.models import AuditEvent
from tests import factories
from tests.cohorts.helpers import page_client, practice_page_client

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _zip(entries: dict[str, bytes], *, stored_first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if stored_first:
            archive.writestr(zipfile.ZipInfo(stored_first), entries.pop(stored_first), compress_type=zipfile.ZIP_STORED)
        for name, content in entries.items():
            archive.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _docx() -> bytes:
    return _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


def _xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["measure", "value"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _odt() -> bytes:
    return _zip(
        {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office:document-content/>"},
        stored_first="mimetype",
    )


VALID = [
    ("guidance.pdf", PDF, "application/pdf"),
    ("template.docx", _docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("budget.xlsx", _xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("notes.odt", _odt(), "application/vnd.oasis.opendocument.text"),
    ("measures.csv", "measure,definition\nre_referrals_12m,Re-referrals – 12 months\n".encode(), "text/csv"),
]


def _upload(
    client, cohort, name: str, content: bytes, *, title="Guidance for applicants", browser_type="application/octet-stream"
):
    file = SimpleUploadedFile(name, content, content_type=browser_type)
    return client.post(reverse("cohorts:practice_document_upload", args=[cohort.slug]), {"title": title, "file": file})


@pytest.fixture
def reviewer():
    return factories.PracticeUserFactory(practice_role="reviewer", email="reviewer@pine.example")


@pytest.mark.parametrize("name, content, content_type", VALID)
def test_a_practice_admin_attaches_each_allowed_kind_of_file(practice_client, name, content, content_type):
    cohort = factories.CohortFactory()
    response = _upload(practice_client, cohort, name, content, browser_type="text/html")  # the browser's claim is ignored
    assert response.status_code == 302
    document = CohortDocument.objects.get(cohort=cohort)
    assert (document.filename, document.content_type, document.size) == (name, content_type, len(content))
    assert bytes(document.content) == content
    assert AuditEvent.objects.filter(action="cohort_document.upload", object_code=str(document.code)).exists()
    page = practice_client.get(reverse("cohorts:practice_cohort", args=[cohort.slug])).content.decode()
    assert "Guidance for applicants" in page and name in page


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("programme.exe", b"MZ\x90\x00", "The selected file must be a PDF, DOCX, XLSX, ODT or CSV"),
        ("no-extension", PDF, "The selected file must be a PDF, DOCX, XLSX, ODT or CSV"),
        ("page.html", b"<script>alert(1)</script>", "The selected file must be a PDF, DOCX, XLSX, ODT or CSV"),
        ("fake.pdf", b"<html><script>alert(1)</script></html>", "The selected file is not a real PDF file"),
        ("fake.docx", PDF, "The selected file is not a real DOCX file"),
        ("other.docx", _zip({"hello.txt": b"hi"}), "The selected file is not a real DOCX file"),
        ("sheet.xlsx", _docx(), "The selected file is not a real XLSX file"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "The selected file is not a real XLSX file"),
        ("fake.odt", _docx(), "The selected file is not a real ODT file"),
        ("binary.csv", b"a,b\n\x00\x01\x02", "The selected file is not a real CSV file"),
        ("zipped.csv", _docx(), "The selected file is not a real CSV file"),
        ("empty.pdf", b"", "The selected file is empty"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(practice_client, name, content, message):
    cohort = factories.CohortFactory()
    response = _upload(practice_client, cohort, name, content)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert not CohortDocument.objects.exists()


def test_a_file_over_10mb_is_refused(practice_client):
    cohort = factories.CohortFactory()
    response = _upload(practice_client, cohort, "huge.pdf", PDF + b"0" * (10 * 1024 * 1024))
    assert response.status_code == 200 and "The selected file must be smaller than 10MB" in response.content.decode()
    assert not CohortDocument.objects.exists()


def test_no_file_or_no_title_is_refused_with_messages(practice_client):
    cohort = factories.CohortFactory()
    response = practice_client.post(reverse("cohorts:practice_document_upload", args=[cohort.slug]), {"title": ""})
    page = response.content.decode()
    assert response.status_code == 200 and "Select a file" in page and "Enter a title for the document" in page


def test_the_service_checks_the_bytes_too(practice_admin):
    cohort = factories.CohortFactory()
    with pytest.raises(ValidationError, match="not a real PDF"):
        services.document_upload(actor=practice_admin, cohort=cohort, title="x", filename="x.pdf", content=b"hello")


def test_a_file_name_loses_folders_quotes_and_control_characters(practice_admin):
    cohort = factories.CohortFactory()
    document = services.document_upload(
        actor=practice_admin, cohort=cohort, title="T", filename='..\\..\\evil"\r\nname.pdf', content=PDF
    )
    assert document.filename == "evilname.pdf"


def test_the_public_downloads_a_published_calls_document_without_an_account(client):
    document = factories.CohortDocumentFactory(content=PDF, filename="guidance.pdf")
    url = reverse("cohorts:public_document", args=[document.cohort.slug, document.code])
    assert url in client.get(reverse("cohorts:public_detail", args=[document.cohort.slug])).content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="guidance.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_draft_calls_documents_are_not_found_by_the_public_but_are_by_the_practice_team(client, practice_client):
    document = factories.CohortDocumentFactory(cohort__status=Cohort.Status.DRAFT)
    assert client.get(reverse("cohorts:public_document", args=[document.cohort.slug, document.code])).status_code == 404
    assert (
        practice_client.get(reverse("cohorts:practice_document", args=[document.cohort.slug, document.code])).status_code == 200
    )


def test_a_document_under_another_calls_address_is_not_found(client):
    document = factories.CohortDocumentFactory()
    other = factories.CohortFactory()
    assert client.get(reverse("cohorts:public_document", args=[other.slug, document.code])).status_code == 404


def test_a_practice_admin_deletes_a_document(practice_client):
    document = factories.CohortDocumentFactory(title="Old guidance")
    url = reverse("cohorts:practice_document_delete", args=[document.cohort.slug, document.code])
    assert "Delete Old guidance?" in practice_client.get(url).content.decode()
    assert practice_client.post(url).status_code == 302
    assert not CohortDocument.objects.exists()
    assert AuditEvent.objects.filter(action="cohort_document.delete", object_code=str(document.code)).exists()
    assert practice_client.get(reverse("cohorts:public_document", args=[document.cohort.slug, document.code])).status_code == 404


def test_reviewers_neither_manage_nor_upload_nor_delete(reviewer):
    document = factories.CohortDocumentFactory()
    client = practice_page_client(reviewer)
    # Reviewers see only their assignments; a published call's documents are on its public page.
    assert client.get(reverse("cohorts:practice_document", args=[document.cohort.slug, document.code])).status_code == 403
    assert _upload(client, document.cohort, "x.pdf", PDF).status_code == 403
    delete = reverse("cohorts:practice_document_delete", args=[document.cohort.slug, document.code])
    assert client.post(delete).status_code == 403
    assert CohortDocument.objects.count() == 1
    with pytest.raises(PermissionDenied):
        services.document_upload(actor=reviewer, cohort=document.cohort, title="x", filename="x.pdf", content=PDF)


def test_partners_users_of_either_partner_get_404_on_the_practice_document_pages(lead, other_lead):
    document = factories.CohortDocumentFactory()
    urls = [
        reverse("cohorts:practice_document_upload", args=[document.cohort.slug]),
        reverse("cohorts:practice_document", args=[document.cohort.slug, document.code]),
        reverse("cohorts:practice_document_delete", args=[document.cohort.slug, document.code]),
    ]
    for user in (lead, other_lead):
        client = page_client(user)
        for url in urls:
            assert client.get(url).status_code == 404, url
        assert client.post(urls[2]).status_code == 404
    assert CohortDocument.objects.count() == 1
