"""The selection panel and the decision pages in a browser, with axe on each page."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.steps import authenticator, heading, sign_in_practice
from tests.cohorts.review_helpers import make_reviewed_cohort


@pytest.fixture
def device(practice_admin):
    return authenticator(practice_admin)


def test_the_panel_and_the_decisions(new_context, check_page, practice_admin, device):
    cohort, applications, _ = make_reviewed_cohort(n_applications=3, reviewers=2, capacity=1)
    page = new_context().new_page()
    sign_in_practice(page, practice_admin, device)

    page.goto(f"/practice/cohorts/{cohort.slug}/")
    page.get_by_role("link", name=re.compile("Selection panel")).click()
    expect(heading(page)).to_have_text("Selection panel")
    expect(page.locator("main > table > tbody > tr")).to_have_count(3)
    check_page(page, "panel")
    page.get_by_role("link", name="Mean").click()
    expect(page.locator("th[aria-sort='descending'] a")).to_have_text("Mean")
    page.locator("details summary").first.click()
    check_page(page, "panel-details-open")
    page.get_by_label("Status").select_option("ineligible")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("main")).to_contain_text("No applications match these filters")
    check_page(page, "panel-filtered-empty")

    page.goto(f"/practice/cohorts/{cohort.slug}/decisions/")
    expect(page.locator("main")).to_contain_text("0 of 1 place taken")
    check_page(page, "decisions")
    for number, title in enumerate(a.practice_title for a in applications[:2]):
        page.get_by_role("link", name=f"Record a decision on {title}").click()
        page.get_by_label("Accept", exact=True).check()
        page.get_by_role("button", name="Save the pending decision").click()
        if number == 1:  # the second accept is beyond the one place: asked to confirm
            expect(page.locator(".govuk-error-summary")).to_contain_text("Accepting this application makes 2")
            check_page(page, "decision-over-capacity")
            page.get_by_label("Accept it even though this is more than the cohort's capacity").check()
            page.get_by_role("button", name="Save the pending decision").click()
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text("pending")
    expect(page.locator("main")).to_contain_text("2 of 1 place taken")
    page.get_by_role("link", name=re.compile("Preview the 2 emails")).click()
    check_page(page, "preview")
    page.get_by_role("button", name=re.compile("Release 2 decisions")).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Confirm you have checked the emails")
    check_page(page, "preview-error")
    page.get_by_label("I have checked the emails").check()
    page.get_by_role("button", name=re.compile("Release 2 decisions")).click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("2 decisions released")
    expect(page.locator("main")).to_contain_text("Released decisions")
    check_page(page, "decisions-released")
