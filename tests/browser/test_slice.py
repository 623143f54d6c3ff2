"""The thin slice as a person clicks through it in a real browser, with every page visited checked
for accessibility (axe-core, WCAG 2.2 A/AA):

practice admin signs in (password + authenticator code) and creates a cohort; a partner's lead
applies, checks the answers and submits; the practice admin accepts; the lead uploads outcome data
(first a file with a mistake: problems page, problems CSV; then the fixed file), builds a report
and downloads it as HTML and PDF; another partner's lead gets "Page not found" for the evaluation.
"""

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from cohorts.models import Application
from demo.data import demo_outcome_csv
from evaluations.models import Evaluation
from tests.browser.conftest import sign_in, sign_out, totp_code
from tests.factories import PASSWORD

REPORT_TIMEOUT_MS = 90_000  # the report is built (eager Celery) before the redirect to its page
TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test secret, hex


def heading(page):
    return page.get_by_role("heading", level=1)


def sign_in_practice(page, user, device) -> None:
    """A practice-team sign-in: the password, then the code from the authenticator app."""
    sign_in(page, user.email, PASSWORD)
    expect(heading(page)).to_have_text("Enter the code from your authenticator app")
    page.get_by_label("Code from your authenticator app").fill(totp_code(device))
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)


def open_practice_home(page) -> None:
    """Through the header, so that this test does not depend on where the sign-in lands (see
    test_practice_sign_in_lands_on_the_practice_home). A session without the second factor would
    be sent back to the code page."""
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Practice team").click()
    expect(heading(page)).to_have_text("Practice team")


def datetime_local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def admin_device(practice_admin):
    return TOTPDevice.objects.create(user=practice_admin, name="Authenticator app", key=TOTP_KEY, confirmed=True)


def test_thin_slice(new_context, check_page, practice_admin, admin_device, partner, lead, other_lead, tmp_path):
    cohort_name = "PINE round 9: browser test"
    practice_title = "Family group conferences at the front door"

    # a. The practice admin signs in: password, then the code from the authenticator app.
    admin = new_context().new_page()
    admin.goto("/accounts/login/")
    expect(heading(admin)).to_have_text("Sign in to PINE")
    check_page(admin, "login")
    sign_in(admin, practice_admin.email, PASSWORD)
    expect(heading(admin)).to_have_text("Enter the code from your authenticator app")
    check_page(admin, "two-factor")
    admin.get_by_label("Code from your authenticator app").fill(totp_code(admin_device))
    with admin.expect_navigation():
        admin.get_by_role("button", name="Continue").click()
    open_practice_home(admin)
    check_page(admin, "practice-home")

    # b. ... creates and publishes a cohort.
    admin.get_by_role("button", name="Create a cohort").click()
    expect(heading(admin)).to_have_text("Create a cohort")
    check_page(admin, "cohort-form")
    now = timezone.now()
    admin.get_by_label("Name", exact=True).fill(cohort_name)
    admin.get_by_label("Description of the call").fill("Councils and their partners evaluating a front-door practice.")
    admin.get_by_label("Call opens (UK time)").fill(datetime_local(now - timedelta(hours=1)))
    admin.get_by_label("Application deadline (UK time)").fill(datetime_local(now + timedelta(days=30)))
    expect(admin.get_by_label("Publish the call now")).to_be_checked()
    admin.get_by_role("button", name="Create cohort").click()
    expect(heading(admin)).to_have_text(cohort_name)
    expect(admin.get_by_text(f"{cohort_name} is created and open for applications")).to_be_visible()
    expect(admin.locator(".govuk-summary-list")).to_contain_text("Open")
    check_page(admin, "practice-cohort")
    sign_out(admin)

    # c. The partner's lead signs in, applies, checks the answers and submits.
    partner_page = new_context().new_page()
    sign_in(partner_page, lead.email, PASSWORD)
    expect(heading(partner_page)).to_have_text(partner.name)
    check_page(partner_page, "partner-home")
    partner_page.get_by_role("link", name=f"Apply to {cohort_name}").click()
    expect(heading(partner_page)).to_have_text(f"Apply to {cohort_name}")
    check_page(partner_page, "application-form")
    partner_page.get_by_label("Name of the practice").fill(practice_title)
    partner_page.get_by_role("button", name="Save and continue").click()
    # The task list: every section incomplete, then each section answered on its own page.
    expect(heading(partner_page)).to_have_text(practice_title)
    expect(partner_page.locator(".govuk-task-list__status")).to_have_text(["Incomplete"] * 7)
    check_page(partner_page, "application-task-list")
    answers = {
        "The partnership and its agencies": {"The agencies listed are the partnership applying": True},
        "The practice and why it is promising": {
            "What the practice is": "Family group conferences offered at the point of referral.",
            "Why it is promising": "Families make their own plan; re-referrals fell in the pilot.",
        },
        "Children and families served": {
            "The children and families it serves": "Families referred for the first time.",
            "How many children a year": "240",
        },
        "Outcomes it aims to change": {"Re-referrals within 12 months": True},
        "Data available and systems": {"Data available": "Referrals since 2019.", "Case management and data systems": "Mosaic."},
        "Readiness and capacity": {
            "Staff time for the evaluation": "Two days a month.",
            "Yes": True,
            "Senior sponsor": "Jo Smith, Director of Children's Services",
        },
        "Data protection and safeguarding": {
            "Data protection arrangements": "Public task.",
            "Safeguarding arrangements": "Partnership procedures.",
        },
    }
    for number, (section, fields) in enumerate(answers.items(), start=1):
        partner_page.get_by_role("link", name=section).click()
        expect(heading(partner_page)).to_have_text(section)
        if number == 1:
            # A section validates on its own: the error summary links to the field.
            partner_page.get_by_role("button", name="Save and continue").click()
            expect(partner_page.locator(".govuk-error-summary")).to_contain_text("Confirm the agencies listed")
            check_page(partner_page, "application-section-error")
        for label, value in fields.items():
            field = partner_page.get_by_label(label, exact=True)
            field.check() if value is True else field.fill(value)
        if number in (1, 4):
            check_page(partner_page, f"application-section-{number}")
        partner_page.get_by_role("button", name="Save and continue").click()
        expect(heading(partner_page)).to_have_text(practice_title)
    expect(partner_page.locator(".govuk-task-list__status")).to_have_text(["Completed"] * 7)
    partner_page.get_by_role("button", name="Check your answers and submit").click()
    expect(heading(partner_page)).to_have_text("Check your answers")
    expect(partner_page.locator("main")).to_contain_text(practice_title)
    check_page(partner_page, "check-your-answers")
    partner_page.get_by_role("button", name="Submit application").click()
    expect(heading(partner_page)).to_have_text(practice_title)
    expect(partner_page.locator("main .govuk-tag")).to_have_text("Submitted")
    check_page(partner_page, "application-submitted")
    application = Application.objects.get(partner=partner, practice_title=practice_title)
    assert application.status == Application.Status.SUBMITTED

    # d. The practice admin, in a new browser, screens the application, records the decision to
    # accept it (pending: the applicant sees nothing yet), previews the email and releases it.
    admin = new_context().new_page()
    sign_in_practice(admin, practice_admin, admin_device)
    open_practice_home(admin)
    admin.get_by_role("link", name=practice_title).click()
    expect(heading(admin)).to_have_text(practice_title)
    check_page(admin, "practice-application")
    admin.get_by_label("Eligible", exact=True).check()
    admin.get_by_label("Reason", exact=True).fill("A statutory lead with measurable outcomes.")
    admin.get_by_role("button", name="Record screening decision").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("eligible")
    admin.get_by_role("link", name="Record a decision").click()
    expect(heading(admin)).to_contain_text(practice_title)
    check_page(admin, "decision-form")
    admin.get_by_label("Accept", exact=True).check()
    admin.get_by_role("button", name="Save the pending decision").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("pending")
    check_page(admin, "decisions")
    partner_page.reload()
    expect(partner_page.locator("main .govuk-tag").first).to_have_text("Being reviewed")
    admin.get_by_role("link", name=re.compile("Preview the 1 email")).click()
    expect(admin.locator("main")).to_contain_text("was successful")
    check_page(admin, "decisions-preview")
    admin.get_by_label("I have checked the emails").check()
    admin.get_by_role("button", name=re.compile("Release 1 decision")).click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("1 decision released")
    check_page(admin, "decisions-released")
    evaluation = Evaluation.objects.get(application=application)
    assert evaluation.partner_id == partner.pk

    # e. The lead opens the evaluation: no data can be sent until the data sharing agreement is
    # recorded in onboarding. Then outcome data: a file with a mistake first.
    partner_page.goto(f"/p/{partner.slug}/")
    partner_page.get_by_role("link", name=practice_title).first.click()
    expect(heading(partner_page)).to_have_text(evaluation.title)
    expect(partner_page.get_by_text("Record your signed data sharing agreement")).to_be_visible()
    check_page(partner_page, "evaluation-before-onboarding")
    partner_page.get_by_role("link", name="Go to onboarding").click()
    agreement = tmp_path / "signed-agreement.pdf"
    agreement.write_bytes(b"%PDF-1.4 signed")
    partner_page.get_by_label("Signed data sharing agreement").set_input_files(str(agreement))
    partner_page.get_by_label("Date signed").fill("2026-01-05")
    partner_page.get_by_label("Expiry date").fill("2029-01-04")
    partner_page.get_by_role("button", name="Save data sharing agreement").click()
    expect(partner_page.get_by_text("Recorded: signed-agreement.pdf")).to_be_visible()
    partner_page.get_by_role("link", name="Back to the evaluation").click()
    check_page(partner_page, "evaluation")
    good_csv = demo_outcome_csv(months=6)
    lines = good_csv.splitlines()
    lines[2] = "re_referals_12m," + lines[2].split(",", 1)[1]  # line 3 of the file: a misspelt measure code
    bad_csv = "\n".join(lines) + "\n"
    upload(partner_page, "outcomes-with-a-typo.csv", bad_csv)
    expect(heading(partner_page)).to_have_text("outcomes-with-a-typo.csv")
    expect(partner_page.locator(".govuk-error-summary")).to_contain_text("The file was not accepted")
    problem = partner_page.locator("table.govuk-table tbody tr").first
    expect(problem.locator("td")).to_have_text(["3", "measure", "re_referals_12m", re.compile("Unknown measure code")])
    check_page(partner_page, "upload-rejected")
    with partner_page.expect_download() as download_info:
        partner_page.get_by_role("link", name="Download the problems as a CSV file").click()
    download = download_info.value
    assert download.suggested_filename.startswith("problems-") and download.suggested_filename.endswith(".csv")
    problems = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert problems == [
        {
            "row": "3",
            "column": "measure",
            "value": "re_referals_12m",
            "reason": "Unknown measure code. Use a code from the list on the evaluation page.",
        }
    ]

    partner_page.get_by_role("link", name="Back to the evaluation").click()
    expect(heading(partner_page)).to_have_text(evaluation.title)
    upload(partner_page, "outcomes.csv", good_csv)
    expect(heading(partner_page)).to_have_text("outcomes.csv")
    expect(partner_page.locator(".govuk-panel")).to_contain_text("File accepted")
    expect(partner_page.locator(".govuk-panel")).to_contain_text(f"{len(lines) - 1} rows stored")
    check_page(partner_page, "upload-accepted")

    # f. ... builds a report (eager Celery: built by the time its page loads) and downloads it.
    partner_page.get_by_role("link", name="Back to the evaluation").click()
    expect(partner_page.get_by_text(f"{len(lines) - 1} values stored")).to_be_visible()
    partner_page.get_by_role("button", name="Build a report").click(timeout=REPORT_TIMEOUT_MS)
    expect(heading(partner_page)).to_have_text("Evaluation report", timeout=REPORT_TIMEOUT_MS)
    progress = partner_page.locator("#report-progress")
    expect(progress).to_be_visible()
    expect(progress.get_by_role("heading", name="Your report is ready")).to_be_visible(timeout=REPORT_TIMEOUT_MS)
    check_page(partner_page, "report-ready")
    with partner_page.expect_download() as download_info:
        partner_page.get_by_role("link", name=re.compile(r"Download the report \(HTML")).click()
    html = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert download_info.value.suggested_filename.endswith(".html")
    assert evaluation.title in html and partner.name in html
    with partner_page.expect_download() as download_info:
        partner_page.get_by_role("link", name="Download the report (PDF)").click()
    pdf = Path(download_info.value.path()).read_bytes()
    assert download_info.value.suggested_filename.endswith(".pdf")
    assert pdf.startswith(b"%PDF"), pdf[:20]

    # g. Another partner's lead gets "Page not found" for the evaluation, as for any unknown page.
    other = new_context().new_page()
    sign_in(other, other_lead.email, PASSWORD)
    expect(heading(other)).to_have_text("Southbrook City Council")
    response = other.goto(f"/p/{partner.slug}/evaluations/{evaluation.code}/")
    assert response.status == 404
    expect(heading(other)).to_have_text("Page not found")
    expect(other.locator("main")).not_to_contain_text(evaluation.title)
    check_page(other, "not-found")


def upload(page, filename: str, content: str) -> None:
    page.get_by_label("Upload a CSV file").set_input_files(
        files=[{"name": filename, "mimeType": "text/csv", "buffer": content.encode("utf-8")}]
    )
    page.get_by_role("button", name="Upload file").click()


def test_wrong_password_shows_the_error_summary(page, check_page, lead):
    sign_in(page, lead.email, "not-the-password")
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary.get_by_role("link")).to_have_count(1)
    expect(summary).to_contain_text(re.compile("enter a correct email", re.I))
    expect(page.get_by_label(re.compile(r"^Email"))).to_have_value(lead.email)
    check_page(page, "login-error")


def test_practice_sign_in_lands_on_the_practice_home(page, practice_admin, admin_device):
    sign_in_practice(page, practice_admin, admin_device)
    expect(heading(page)).to_have_text("Practice team")
    assert page.url.endswith("/practice/"), page.url
