"""Letters of support from each agency, attached to an application: PDF or DOCX, the type checked
by the file's content (not its name); the partner and the practice team download them."""

import io
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cohorts import pdf
from cohorts.models import Application, Cohort, SupportLetter
from cohorts.services import applications as services
from pine.models import AgencyType
from pine.tenancy import practice_scope
from tests import factories
from tests.cohorts.helpers import page_client, practice_page_client

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@pytest.fixture
def draft(partner, lead):
    return factories.CompleteApplicationFactory(partner=partner, created_by=lead, status=Application.Status.DRAFT)


@pytest.fixture
def police(partner):
    return factories.PartnerAgencyFactory(partner=partner, name="Kestrel Police", agency_type=AgencyType.POLICE)


def _url(application):
    return reverse("cohorts:application_letters", args=[application.partner.slug, application.code])


def _post(client, application, agency, name, content):
    return client.post(_url(application), {"agency": agency.pk, "file": SimpleUploadedFile(name, content)})


def test_a_pdf_and_a_docx_attach_and_download(lead, draft, police, partner):
    council = factories.PartnerAgencyFactory(partner=partner, name="Northmoor Council", is_lead=True)
    client = page_client(lead)
    page = client.get(_url(draft)).content.decode()
    assert "Kestrel Police (Police)" in page and 'type="file"' in page
    assert _post(client, draft, police, "police-letter.pdf", PDF).status_code == 302
    assert _post(client, draft, council, "council.docx", _docx()).status_code == 302
    letters = {letter.agency.name: letter for letter in SupportLetter.objects.all()}
    assert letters["Kestrel Police"].content_type == "application/pdf"
    assert letters["Northmoor Council"].content_type.endswith("wordprocessingml.document")
    download = client.get(reverse("cohorts:application_letter", args=[partner.slug, draft.code, letters["Kestrel Police"].code]))
    assert download.content == PDF and "police-letter.pdf" in download["Content-Disposition"]
    # A new letter from the same agency replaces the old one.
    assert _post(client, draft, police, "newer.pdf", PDF).status_code == 302
    assert SupportLetter.objects.filter(agency=police).get().filename == "newer.pdf"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("letter.pdf", b"This is plain text pretending to be a PDF"),
        ("letter.docx", b"PK\x03\x04 not really a zip"),
        ("letter.docx", PDF),
        ("letter.txt", b"a text file"),
    ],
)
def test_a_file_whose_content_is_not_what_its_name_says_is_refused(lead, draft, police, name, content):
    response = _post(page_client(lead), draft, police, name, content)
    assert response.status_code == 200 and "govuk-error-summary" in response.content.decode()
    assert not SupportLetter.objects.exists()


def test_the_practice_team_downloads_a_letter_and_another_partner_cannot(lead, draft, police, other_lead, practice_admin):
    _post(page_client(lead), draft, police, "letter.pdf", PDF)
    letter = SupportLetter.objects.get()
    other = page_client(other_lead).get(reverse("cohorts:application_letter", args=[draft.partner.slug, draft.code, letter.code]))
    assert other.status_code == 404
    practice = practice_page_client(practice_admin)
    page = practice.get(reverse("cohorts:practice_application", args=[draft.code])).content.decode()
    url = reverse("cohorts:practice_letter", args=[draft.code, letter.code])
    assert url in page
    assert practice.get(url).content == PDF


def test_no_letter_can_change_once_submitted(lead, partner, police):
    submitted = factories.CompleteApplicationFactory(partner=partner, created_by=lead, status=Application.Status.SUBMITTED)
    response = _post(page_client(lead), submitted, police, "letter.pdf", PDF)
    assert response.status_code == 200 and "can no longer be changed" in response.content.decode()
    assert not SupportLetter.objects.exists()


# --- listed on "Check your answers" and in the PDF copy ----------------------------------------------


def _three_agencies(partner):
    council = factories.PartnerAgencyFactory(partner=partner, name="Northmoor Council", is_lead=True)
    health = factories.PartnerAgencyFactory(partner=partner, name="Northmoor NHS Trust", agency_type=AgencyType.HEALTH)
    return council, health


def test_check_your_answers_lists_each_agencys_letter_and_the_missing_ones(lead, draft, police, partner):
    council, health = _three_agencies(partner)
    client = page_client(lead)
    _post(client, draft, police, "police-letter.pdf", PDF)
    _post(client, draft, council, "council.docx", _docx())
    page = client.get(reverse("cohorts:application_check", args=[partner.slug, draft.code])).content.decode()
    letters = page[page.index('id="letters"') :]
    assert "Letters of support" in letters
    assert "police-letter.pdf" in letters and "PDF, " in letters
    assert "council.docx" in letters and "Word document (DOCX), " in letters
    assert f"{len(PDF)}\xa0bytes" in letters  # its size
    # The agency without a letter is named, and said to have none; the lead agency comes first.
    health_row = letters[letters.index("Northmoor NHS Trust") :]
    assert "No letter attached" in health_row[: health_row.index("</div>")]
    assert letters.index("Northmoor Council") < letters.index("Kestrel Police") < letters.index("Northmoor NHS Trust")
    assert reverse("cohorts:application_letters", args=[partner.slug, draft.code]) in letters  # Change


def test_the_pdf_copy_lists_the_letters_it_was_sent_with(lead, draft, police, partner):
    council, health = _three_agencies(partner)
    client = page_client(lead)
    _post(client, draft, police, "police-letter.pdf", PDF)
    services.application_submit(partner=partner, actor=lead, application=draft)
    revision = draft.revisions.get()
    # A letter attached after this version was sent is not part of its copy.
    SupportLetter.objects.create(
        partner=partner, application=draft, agency=council, filename="late.pdf", content_type="application/pdf",
        size=len(PDF), content=PDF, uploaded_by=lead,
    )  # fmt: skip
    html = pdf.revision_html(revision)
    letters = html[html.index("<h2>Letters of support</h2>") :]
    assert f"police-letter.pdf (PDF, {len(PDF)}\xa0bytes)" in letters
    assert "late.pdf" not in letters
    for agency in ("Northmoor Council", "Northmoor NHS Trust"):
        row = letters[letters.index(agency) :]
        assert row.index("No letter attached") < row.index("</dd>")
    response = client.get(reverse("cohorts:application_pdf", args=[partner.slug, draft.code, revision.number]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    if os.environ.get("PINE_SCREENSHOTS"):  # for a person to look at
        with open(os.path.join(os.environ["PINE_SCREENSHOTS"], "application-copy-with-letters.pdf"), "wb") as f:
            f.write(response.content)


def test_a_reviewer_reads_the_letters_after_declaring_no_conflict_but_not_in_a_blind_review(lead, draft, police):
    from cohorts.models import ReviewAssignment

    _post(page_client(lead), draft, police, "letter.pdf", PDF)
    letter = SupportLetter.objects.get()
    with practice_scope():  # screened eligible, and the cohort reviewing
        Application.objects.filter(pk=draft.pk).update(status=Application.Status.ELIGIBLE)
        Cohort.objects.filter(pk=draft.cohort_id).update(status=Cohort.Status.REVIEWING)
    assignment = factories.ReviewAssignmentFactory(application=draft)
    client = practice_page_client(assignment.reviewer)
    url = reverse("cohorts:review_letter", args=[assignment.code, letter.code])
    # Before the conflict question is answered: to the question, not to the letter.
    assert client.get(url)["Location"] == reverse("cohorts:review_conflict", args=[assignment.code])
    with practice_scope():
        ReviewAssignment.objects.filter(pk=assignment.pk).update(conflict=ReviewAssignment.Conflict.NONE)
    page = client.get(reverse("cohorts:review_detail", args=[assignment.code])).content.decode()
    assert url in page and "Kestrel Police" in page
    assert client.get(url).content == PDF
    # Another reviewer's assignment, and a letter of another application, are missing alike.
    other = factories.ReviewAssignmentFactory(conflict=ReviewAssignment.Conflict.NONE)
    assert practice_page_client(other.reviewer).get(url).status_code == 404
    assert client.get(reverse("cohorts:review_letter", args=[other.code, letter.code])).status_code == 404
    # A blind review shows no letter: each names its agency.
    with practice_scope():
        Cohort.objects.filter(pk=draft.cohort_id).update(blind_review=True)
    page = client.get(reverse("cohorts:review_detail", args=[assignment.code])).content.decode()
    assert url not in page and "not shown in a blind review" in page
    assert client.get(url).status_code == 404
