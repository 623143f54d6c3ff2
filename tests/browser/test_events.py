"""Events for applicants and the call's documents, clicked through in Chromium, each page checked
with axe-core (WCAG 2.2 A/AA): the practice admin adds an event and attaches a document; someone
without an account reads the call (rich-text guidance), registers, and cancels from the email's
link; the practice team sees the registrations."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from django.core import mail
from playwright.sync_api import expect

from tests import factories
from tests.browser.steps import authenticator, fill_date_time, heading, sign_in_practice

UK = ZoneInfo("Europe/London")


def test_event_and_document_pages(new_context, check_page, practice_admin, tmp_path):
    device = authenticator(practice_admin)
    call = factories.CohortFactory(
        name="PINE round 8",
        guidance=(
            "## Before you apply\n\nRead the **whole** call.\n\n- Check you are eligible\n- [Ask us](mailto:pine@example.org)"
        ),
        eligibility="1. Councils\n2. Police forces",
    )

    # The practice admin adds an event and attaches a document.
    admin = new_context().new_page()
    sign_in_practice(admin, practice_admin, device)
    admin.goto(f"/practice/cohorts/{call.slug}/")
    check_page(admin, "practice-cohort-events")
    admin.get_by_role("link", name="Add an event").click()
    expect(heading(admin)).to_have_text("Add an event")
    admin.get_by_role("button", name="Add event").click()
    expect(admin.locator(".govuk-error-summary")).to_contain_text("Enter a title")
    check_page(admin, "event-form-error")
    admin.get_by_label("Title").fill("Webinar about round 8")
    fill_date_time(admin, "Starts", datetime(2030, 5, 14, 10, tzinfo=UK))
    fill_date_time(admin, "Ends", datetime(2030, 5, 14, 11, tzinfo=UK))
    admin.get_by_label("Joining details").fill("https://meet.example.org/round-8")
    admin.get_by_label("Capacity (optional)").fill("30")
    admin.get_by_role("button", name="Add event").click()
    expect(heading(admin)).to_have_text("Webinar about round 8")
    expect(admin.locator("main")).to_contain_text("14 May 2030 at 10:00am BST")
    check_page(admin, "practice-event")

    admin.goto(f"/practice/cohorts/{call.slug}/")
    admin.get_by_role("link", name="Attach a document").click()
    file = tmp_path / "guidance.txt"
    file.write_text("not allowed")
    admin.get_by_label("Title").fill("Guidance for applicants")
    admin.get_by_label("Upload a file").set_input_files(str(file))
    admin.get_by_role("button", name="Upload document").click()
    expect(admin.locator(".govuk-error-summary")).to_contain_text("The selected file must be a PDF, DOCX, XLSX, ODT or CSV")
    check_page(admin, "document-form-error")
    pdf = tmp_path / "guidance.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%%EOF\n")
    admin.get_by_label("Upload a file").set_input_files(str(pdf))
    admin.get_by_role("button", name="Upload document").click()
    expect(admin.locator("main")).to_contain_text("Guidance for applicants is attached")

    # Someone without an account reads the call and registers.
    public = new_context().new_page()
    public.goto(f"/cohorts/{call.slug}/")
    expect(public.get_by_role("heading", name="Before you apply")).to_be_visible()
    expect(public.get_by_role("link", name="Guidance for applicants")).to_be_visible()
    check_page(public, "public-call-with-events")
    public.get_by_role("link", name="Webinar about round 8").click()
    expect(heading(public)).to_have_text("Webinar about round 8")
    check_page(public, "public-event")
    public.get_by_role("button", name="Register").click()
    expect(public.locator(".govuk-error-summary")).to_contain_text("Enter your full name")
    check_page(public, "public-event-error")
    public.get_by_label("Full name").fill("Sam Patel")
    public.get_by_label("Email address").fill("sam@council.example")
    public.get_by_label("Organisation").fill("Northshire County Council")
    public.get_by_role("button", name="Register").click()
    expect(heading(public)).to_have_text("You are registered")
    check_page(public, "public-event-registered")

    # The cancel link from the email.
    (message,) = [m for m in mail.outbox if m.to == ["sam@council.example"]]
    (link,) = re.findall(r"http://[^/\s]+(/cohorts/events/cancel/\S+/)", message.body)
    public.goto(link)
    check_page(public, "public-event-cancel")
    public.get_by_role("button", name="Cancel my place").click()
    expect(heading(public)).to_have_text("Your place is cancelled")

    admin.goto(f"/practice/cohorts/{call.slug}/")
    admin.get_by_role("link", name="Webinar about round 8").click()
    expect(admin.locator("tbody")).to_contain_text("Cancelled")
