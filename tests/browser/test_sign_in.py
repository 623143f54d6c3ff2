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
    expect(summary).to_contain_text("Enter the email address and password of your PINE account")
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


def test_setting_up_the_authenticator_gives_recovery_codes_that_sign_in(page, check_page, practice_admin):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    sign_in(page, practice_admin.email, PASSWORD)
    expect(heading(page)).to_have_text("Set up your authenticator app")
    device = TOTPDevice.objects.get(user=practice_admin)
    page.get_by_label("Code from your authenticator app").fill(totp_code(device))
    page.get_by_role("button", name="Continue").click()
    expect(heading(page)).to_have_text("Your recovery codes")
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    check_page(page, "recovery-codes")
    page.get_by_role("link", name="I have saved my codes: continue").click()
    expect(heading(page)).to_have_text("Practice team")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, practice_admin.email, PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("You signed in with a recovery code. You have 9 left")).to_be_visible()
    check_page(page, "signed-in-with-recovery-code")
