"""The notifications list in a real browser, checked with axe: the header's unread count, the
list with unread ones marked, a message opened, and "mark all as read"."""

import re

from playwright.sync_api import expect

from pine.models import Notification
from tests.browser.steps import sign_in
from tests.factories import PASSWORD


def test_notifications_list_and_mark_all_as_read(new_context, check_page, lead, partner, other_lead):
    for subject in ("Application received: Family Hubs (Round 3)", "7 days to the deadline for your application: Family Hubs"):
        Notification.objects.create(recipient=lead, partner=partner, subject=subject, body="Line one.\nLine two.", link="/home/")
    Notification.objects.create(recipient=other_lead, subject="Not for you", body="Secret.")
    page = new_context().new_page()
    sign_in(page, lead.email, PASSWORD)
    nav = page.locator("#nav-notifications")
    expect(nav).to_have_text("Notifications 2 unread")
    nav.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(page.get_by_text("Unread", exact=True)).to_have_count(2)
    expect(page.get_by_text("Not for you")).to_have_count(0)
    page.get_by_text("Read the message").first.click()
    expect(page.get_by_text("Line two.").first).to_be_visible()
    check_page(page, "notifications")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("2 notifications marked as read.")).to_be_visible()
    expect(nav).to_have_text("Notifications")
    expect(page.get_by_text("Unread", exact=True)).to_have_count(0)
    check_page(page, "notifications-read")


def test_a_notification_opened_is_read_and_email_choices_are_saved(new_context, check_page, lead, partner):
    Notification.objects.create(
        recipient=lead,
        partner=partner,
        subject="Your evaluation plan is signed off",
        body="Well done.",
        link=f"/p/{partner.slug}/members/",
        kind="plans",
    )
    page = new_context().new_page()
    sign_in(page, lead.email, PASSWORD)
    page.locator("#nav-notifications").click()
    page.get_by_role("link", name="Your evaluation plan is signed off").click()
    expect(page).to_have_url(re.compile(rf"/p/{partner.slug}/members/$"))
    expect(page.locator("#nav-notifications")).to_have_text("Notifications")  # read now
    page.locator("#nav-notifications").click()
    page.get_by_role("link", name="Choose which notifications are emailed to you").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Which notifications are emailed to you")
    check_page(page, "notification-settings")
    page.get_by_label(re.compile("^Evaluation plans")).uncheck()
    page.get_by_role("button", name="Save your choices").click()
    expect(page.get_by_text("Your email choices are saved.")).to_be_visible()
    lead.refresh_from_db()
    assert lead.email_muted_kinds == ["plans"]
