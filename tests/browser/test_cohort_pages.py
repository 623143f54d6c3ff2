"""The cohorts pages beyond the thin slice, clicked through in Chromium, each checked with axe-core
(WCAG 2.2 A/AA): the public call, the practice cohort page (edit, stage buttons), screening and
"more information", the applicant's answer and resubmission, comparing versions, withdrawing."""

from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from cohorts.models import Application, Cohort
from cohorts.services import applications as services
from tests import factories
from tests.browser.steps import authenticator, fill_date_time, heading, sign_in, sign_in_practice
from tests.factories import PASSWORD

UK = ZoneInfo("Europe/London")


def test_cohort_and_application_pages(new_context, check_page, practice_admin, partner, lead):
    device = authenticator(practice_admin)
    call = factories.CohortFactory(
        name="PINE round 5: family help",
        theme="Family help",
        description="Councils evaluating family help.\n\nA second paragraph.",
        guidance="Answer every section.\n\nSave as you go.",
        eligibility="Statutory agencies in England.",
        multi_agency=True,
        programme_starts_at=datetime(2027, 9, 1, 9, tzinfo=UK),
        programme_ends_at=datetime(2028, 8, 31, 17, tzinfo=UK),
    )
    draft_cohort = factories.CohortFactory(name="PINE round 6", status=Cohort.Status.DRAFT)
    application = factories.CompleteApplicationFactory(
        partner=partner, cohort=call, created_by=lead, practice_title="Family network meetings"
    )
    services.application_submit(partner=partner, actor=lead, application=application)

    # The public call page, without an account.
    public = new_context().new_page()
    public.goto(f"/cohorts/{call.slug}/")
    expect(heading(public)).to_have_text(call.name)
    expect(public.locator("main")).to_contain_text("1 September 2027 at 9:00am BST to 31 August 2028 at 5:00pm BST")
    expect(public.get_by_role("heading", name="Who can apply")).to_be_visible()
    check_page(public, "public-call")

    # The practice admin edits the draft cohort and opens it.
    admin = new_context().new_page()
    sign_in_practice(admin, practice_admin, device)
    admin.goto(f"/practice/cohorts/{draft_cohort.slug}/")
    check_page(admin, "practice-cohort-draft")
    admin.get_by_role("link", name=f"Change the details of {draft_cohort.name}").click()
    expect(heading(admin)).to_have_text(f"Change {draft_cohort.name}")
    check_page(admin, "cohort-edit")
    fill_date_time(admin, "Programme starts (optional)", datetime(2027, 1, 10, 9, tzinfo=UK))
    fill_date_time(admin, "Programme ends (optional)", datetime(2026, 12, 1, 9, tzinfo=UK))
    admin.get_by_role("button", name="Save changes").click()
    expect(admin.locator(".govuk-error-summary")).to_contain_text("The programme must end after it starts.")
    check_page(admin, "cohort-edit-error")
    fill_date_time(admin, "Programme ends (optional)", datetime(2027, 12, 1, 9, tzinfo=UK))
    admin.get_by_role("button", name="Save changes").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("is saved")
    admin.get_by_role("button", name="Move to: open for applications").click()
    expect(admin.locator("#consequences")).to_be_visible()  # the confirmation: what the move does
    check_page(admin, "confirm-move-to-open")
    admin.get_by_role("button", name="Confirm: move to open for applications").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("is now: open for applications")
    expect(admin.get_by_role("button", name="Move to: reviewing")).to_be_visible()
    check_page(admin, "practice-cohort-open")

    # ... screens with a missing reason, then asks the applicant a question.
    admin.goto(f"/practice/applications/{application.code}/")
    admin.get_by_label("Eligible", exact=True).check()
    admin.get_by_role("button", name="Record screening decision").click()
    expect(admin.locator(".govuk-error-summary")).to_contain_text("Enter the reason for the screening decision")
    check_page(admin, "screening-error")
    admin.get_by_label("Your question for the applicant").fill("How many families did you offer a meeting last year?")
    admin.get_by_role("button", name="Send the question").click()
    expect(admin.locator("main .govuk-tag").first).to_have_text("More information requested")

    # The lead sees the question, changes an answer and resubmits.
    page = new_context().new_page()
    sign_in(page, lead.email, PASSWORD)
    page.goto(f"/p/{partner.slug}/applications/{application.code}/")
    expect(page.locator("main .govuk-tag").first).to_have_text("More information needed")
    expect(page.locator(".govuk-inset-text")).to_contain_text("How many families did you offer a meeting last year?")
    check_page(page, "more-information-needed")
    page.get_by_role("link", name="Children and families served").click()
    page.get_by_label("How many children a year").fill("310")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("button", name="Check your answers and submit").click()
    page.get_by_label("Your answer to the practice team's question (optional)").fill("We offered 310 families a meeting.")
    page.get_by_role("button", name="Send your answer and submit").click()
    expect(page.locator("main .govuk-tag").first).to_have_text("Submitted")
    check_page(page, "resubmitted")
    page.get_by_role("link", name="Compare the last two versions").click()
    expect(heading(page)).to_have_text("Compare versions 1 and 2")
    expect(page.locator("main")).to_contain_text("1 answer changed.")
    check_page(page, "compare-versions")

    # ... and withdraws it, after confirming.
    page.goto(f"/p/{partner.slug}/applications/{application.code}/")
    page.get_by_role("link", name="Withdraw this application").click()
    expect(heading(page)).to_have_text("Withdraw your application")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select yes if you want to withdraw the application")
    check_page(page, "withdraw-error")
    page.get_by_label("Yes, withdraw it").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("main .govuk-tag").first).to_have_text("Withdrawn")
    check_page(page, "withdrawn")
    application.refresh_from_db()
    assert application.status == Application.Status.WITHDRAWN and application.revisions.count() == 2
