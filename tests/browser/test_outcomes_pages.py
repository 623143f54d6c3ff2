"""The outcome data pages in a real browser, each checked with axe-core: upload with progress, the
result pages (accepted with what changed, a dry run, unusual values waiting for an explanation,
problems) and the practice team's approval page; another partner's lead gets "Page not found"."""

import re
from datetime import date

from playwright.sync_api import expect

from outcomes import selectors
from tests import factories
from tests.browser.steps import authenticator, sign_in, sign_in_practice, upload
from tests.factories import PASSWORD

HEADER = "measure,period_start,period_end,group,value,numerator,denominator\n"
APRIL = "re_referrals_12m,01/04/2025,30/04/2025,intervention,20,40,200\n"
MAY = "re_referrals_12m,01/05/2025,31/05/2025,intervention,22,44,200\n"


def test_outcome_pages(new_context, check_page, tmp_path, partner, lead, other_lead, practice_admin):
    evaluation = factories.EvaluationFactory(application__partner=partner)
    # An upload being checked shows its progress bar (the page polls it with htmx).
    queued = factories.SubmissionFactory(
        evaluation=evaluation, uploaded_by=lead, status="running", progress=40, stage="Checking the values"
    )
    device = authenticator(practice_admin)

    page = new_context().new_page()
    sign_in(page, lead.email, PASSWORD)
    evaluation_url = f"/p/{partner.slug}/evaluations/{evaluation.code}/"
    page.goto(evaluation_url)
    check_page(page, "evaluation")
    upload(page, tmp_path, "april.csv", HEADER + APRIL + MAY)
    expect(page.get_by_role("heading", name="File accepted")).to_be_visible()
    expect(page.get_by_text("2 new, 0 changed, 0 unchanged.")).to_be_visible()
    check_page(page, "accepted")

    page.goto(evaluation_url)
    upload(page, tmp_path, "dry.csv", HEADER + APRIL.replace(",20,40,", ",21,42,") + MAY, dry_run=True)
    expect(page.get_by_text("The file has no problems. Nothing was stored.")).to_be_visible()
    expect(page.get_by_text("0 new, 1 changed, 1 unchanged.")).to_be_visible()
    check_page(page, "dry-run")
    page.get_by_role("button", name="Store this file").click()  # no need to upload it again
    expect(page.get_by_role("heading", name="File accepted")).to_be_visible()
    expect(page.get_by_text("0 new, 1 changed, 1 unchanged.")).to_be_visible()

    # An upload waiting for an explanation is closed once a later upload of its period is stored.
    page.goto(evaluation_url)
    upload(page, tmp_path, "june-typo.csv", HEADER + "re_referrals_12m,01/06/2025,30/06/2025,intervention,2.2,,\n")
    expect(page.get_by_role("caption").filter(has_text="Values to explain")).to_be_visible()
    typo_url = page.url
    page.goto(evaluation_url)
    upload(page, tmp_path, "june-fixed.csv", HEADER + "re_referrals_12m,01/06/2025,30/06/2025,intervention,23,,\n")
    expect(page.get_by_role("heading", name="File accepted")).to_be_visible()
    page.goto(typo_url)
    expect(page.get_by_role("heading", name="Replaced by a later upload: nothing from this file was stored")).to_be_visible()
    expect(page.get_by_role("link", name="june-fixed.csv")).to_be_visible()
    expect(page.get_by_role("button", name="Explain and store the values")).to_have_count(0)
    check_page(page, "superseded")

    page.goto(evaluation_url)
    upload(page, tmp_path, "june.csv", HEADER + "re_referrals_12m,01/06/2025,30/06/2025,intervention,2,,\n")
    expect(page.get_by_role("caption").filter(has_text="Values to explain")).to_be_visible()
    check_page(page, "needs-explanation")
    page.get_by_role("button", name="Explain and store the values").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    check_page(page, "explanation-error")
    page.get_by_label("Explain these values").fill("A new referral route opened in June.")
    page.get_by_role("button", name="Explain and store the values").click()
    expect(page.get_by_role("heading", name="File accepted")).to_be_visible()
    check_page(page, "explained")

    page.goto(evaluation_url)
    upload(page, tmp_path, "bad.csv", HEADER + "nope,01/07/2025,31/07/2025,all,1,,\n")
    expect(page.get_by_text("Unknown measure code")).to_be_visible()
    check_page(page, "problems")

    page.goto(evaluation_url)
    page.get_by_text("Periods of data (3)").click()
    check_page(page, "evaluation-with-periods")

    page.goto(f"/p/{partner.slug}/submissions/{queued.code}/")
    expect(page.get_by_label(re.compile("Checking the values: 40%"))).to_be_visible()
    check_page(page, "queued")

    # Another partner's lead: the same "Page not found" as for a missing page.
    other = new_context().new_page()
    sign_in(other, other_lead.email, PASSWORD)
    response = other.goto(f"/p/{partner.slug}/submissions/{queued.code}/")
    assert response.status == 404

    # The practice team approves a period.
    admin = new_context().new_page()
    sign_in_practice(admin, practice_admin, device)
    admin.goto(f"/practice/evaluations/{evaluation.code}/outcome-periods/")
    check_page(admin, "practice-periods")
    admin.get_by_label("1 Apr 2025 to 30 Apr 2025").check()
    admin.get_by_role("button", name="Approve selected periods").click()
    expect(admin.get_by_text("1 period approved and locked.")).to_be_visible()
    check_page(admin, "practice-approved")
    admin.get_by_role("button", name="Unlock").click()
    expect(admin.locator(".govuk-error-summary")).to_be_visible()
    check_page(admin, "practice-unlock-error")

    assert selectors.approved_periods(partner=partner, evaluation=evaluation) == {date(2025, 4, 1)}
