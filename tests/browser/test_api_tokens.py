"""The account page's API tokens: choosing what a token can do and how long it lasts, the error
summary when a choice is missing or too long, and the list with each token's scope and expiry."""

import re

from playwright.sync_api import expect

from tests.browser.steps import heading, sign_in
from tests.factories import PASSWORD


def test_a_user_makes_a_read_only_token_that_expires(page, check_page, lead):
    sign_in(page, lead.email, PASSWORD)
    page.goto("/accounts/profile/")
    expect(heading(page)).to_have_text("Your account")
    page.get_by_label("Token name").fill("Case system export")
    page.get_by_label("Days until it expires").fill("120")
    page.get_by_role("button", name="Create a token").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Choose what the token can do")
    expect(summary).to_contain_text("A token can last from 1 to 90 days")
    check_page(page, "token-errors")

    page.get_by_label(re.compile(r"^Read only")).check()
    page.get_by_label("Days until it expires").fill("30")
    page.get_by_role("button", name="Create a token").click()
    expect(page.locator("#new-token")).to_contain_text("pine_")
    table = page.get_by_role("table", name="Your tokens")
    expect(table).to_contain_text("Case system export")
    expect(table).to_contain_text("Read only")
    check_page(page, "token-made")
