"""Registering an agency, clicked through in Chromium, each page checked with axe-core (WCAG 2.2
A/AA): a weak password is refused; the new lead confirms their email address before they can sign
in; a registration with the local authority code of a council already known waits, says why, and
cannot apply; a practice admin finds it in the header, checks it and confirms it; the lead changes
their password."""

import re
import time

from django.core import mail
from playwright.sync_api import expect

from tests import factories
from tests.browser.steps import authenticator, heading, open_practice_home, sign_in, sign_in_practice

EMAIL = "morgan@northshire-council.example"
PASSWORD = "a-long-password-1"


def _emails_to(address: str, count: int, timeout: float = 10.0) -> list:
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in mail.outbox if address in m.to]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_registration_walk(new_context, check_page, practice_admin):
    factories.PartnerFactory(name="Northshire County Council", la_code="933", slug="northshire-cc")
    cohort = factories.CohortFactory(name="PINE round 11")

    # A weak password is refused with a message in the error summary, linked to its field.
    lead = new_context().new_page()
    lead.goto("/accounts/register/")
    lead.get_by_label("Name of your organisation or partnership").fill("Northshire Council")
    lead.get_by_role("group", name="Type of lead agency").get_by_label("Local authority children's services").check()
    lead.get_by_label("Other agency 1: name (optional)").fill("Northshire Police")
    lead.get_by_role("group", name="Other agency 1: type").get_by_label("Police").check()
    lead.get_by_label("Local authority code (optional)").fill("933")
    lead.get_by_label("Your full name").fill("Morgan Reid")
    lead.get_by_label("Your work email address").fill(EMAIL)
    lead.get_by_label("Create a password").fill("1234567890")
    lead.get_by_role("button", name="Register").click()
    summary = lead.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Your password must not be only numbers")
    expect(summary.get_by_role("link", name="Your password must not be only numbers")).to_have_attribute("href", "#id_password")
    check_page(lead, "register-weak-password")

    # Registered: not signed in until the address is confirmed.
    lead.get_by_label("Create a password").fill(PASSWORD)
    lead.get_by_role("button", name="Register").click()
    expect(heading(lead)).to_have_text("Confirm your email address")
    expect(lead.locator("main")).to_contain_text(f"We have sent a link to {EMAIL}")
    check_page(lead, "confirm-email-sent")
    lead.get_by_role("button", name="Send the email again").click()
    expect(lead.locator(".govuk-notification-banner--success")).to_contain_text(f"We have sent the email again to {EMAIL}")
    sign_in(lead, EMAIL, PASSWORD)
    expect(heading(lead)).to_have_text("Confirm your email address")

    # The emailed link: a page with one button.
    (first, _again) = _emails_to(EMAIL, 2)
    link = re.search(r"http://[^/]+(/accounts/confirm-email/\S+/)", first.body).group(1)
    lead.goto(link)
    expect(heading(lead)).to_have_text("Confirm your email address")
    check_page(lead, "confirm-email")
    lead.get_by_role("button", name="Confirm my email address").click()
    expect(lead.locator(".govuk-notification-banner--success")).to_contain_text("is confirmed. You can now sign in.")
    sign_in(lead, EMAIL, PASSWORD)
    expect(heading(lead)).to_have_text("Northshire Council")

    # Like a council already known: every page of the partner says why it waits; it cannot apply.
    banner = lead.locator("#registration-banner")
    expect(banner).to_contain_text("The practice team is checking Northshire Council’s registration")
    expect(banner).to_contain_text("the same local authority code (933)")
    check_page(lead, "partner-home-waiting")
    lead.goto(f"/p/{lead.url.rstrip('/').split('/')[-1]}/apply/{cohort.slug}/")
    expect(lead.locator("main")).to_contain_text("cannot start an application yet")
    expect(lead.get_by_role("button", name="Save and continue")).to_have_count(0)
    check_page(lead, "apply-waiting")

    # A practice admin finds it in the header, checks it and confirms it.
    admin = new_context().new_page()
    sign_in_practice(admin, practice_admin, authenticator(practice_admin))
    open_practice_home(admin)
    admin.get_by_role("navigation", name="Menu").get_by_role("link", name=re.compile("Registrations to check")).click()
    expect(heading(admin)).to_have_text("Registrations to check")
    expect(admin.locator("main table")).to_contain_text("Northshire County Council (933): name and code")
    check_page(admin, "registrations")
    admin.get_by_role("link", name="Check Northshire Council").click()
    expect(heading(admin)).to_have_text("Northshire Council")
    check_page(admin, "registration")
    admin.get_by_role("button", name="Save decision").click()
    expect(admin.locator(".govuk-error-summary")).to_contain_text("Choose whether to confirm the registration")
    check_page(admin, "registration-error")
    admin.get_by_label("Yes: confirm it, so it can apply").check()
    admin.get_by_role("button", name="Save decision").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("registration is confirmed: it can apply")
    expect(admin.locator("main")).to_contain_text("No registrations are waiting.")

    # The lead can now apply, and changes their password.
    lead.reload()
    expect(lead.get_by_role("button", name="Save and continue")).to_be_visible()
    expect(lead.locator("#registration-banner")).to_have_count(0)
    lead.goto("/accounts/profile/")
    lead.get_by_role("link", name="Change your password").click()
    expect(heading(lead)).to_have_text("Change your password")
    lead.get_by_label("Your current password").fill(PASSWORD)
    lead.get_by_label("New password", exact=True).fill("password123")
    lead.get_by_label("Confirm your new password").fill("password123")
    lead.get_by_role("button", name="Change password").click()
    expect(lead.locator(".govuk-error-summary")).to_contain_text("Your password is too common")
    check_page(lead, "password-change-error")
    lead.get_by_label("Your current password").fill(PASSWORD)
    lead.get_by_label("New password", exact=True).fill("another-long-pass-7")
    lead.get_by_label("Confirm your new password").fill("another-long-pass-7")
    lead.get_by_role("button", name="Change password").click()
    expect(lead.locator(".govuk-notification-banner--success")).to_contain_text("Your password is changed.")
    expect(heading(lead)).to_have_text("Your account")
