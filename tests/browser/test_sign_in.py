"""Signing in: the error summary of a wrong password, and where the practice team lands."""

import re

from playwright.sync_api import expect

from tests.browser.steps import authenticator, heading, sign_in, totp_code
from tests.factories import PASSWORD


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


def test_practice_sign_in_lands_on_the_practice_home(page, check_page, practice_admin):
    """The password, then the code from the authenticator app, then the practice home."""
    device = authenticator(practice_admin)
    sign_in(page, practice_admin.email, PASSWORD)
    expect(heading(page)).to_have_text("Enter the code from your authenticator app")
    check_page(page, "two-factor")
    page.get_by_label("Code from your authenticator app").fill(totp_code(device))
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    expect(heading(page)).to_have_text("Practice team")
    assert page.url.endswith("/practice/"), page.url
    check_page(page, "practice-home")
