"""The pages issue 13 added to a round, clicked through in Chromium, each checked with axe-core
(WCAG 2.2 A/AA): the stage confirmation, the review settings, "Discuss your application" (a
visitor, a partner, the practice team's reply), letters of support, the question-and-answer thread,
the reviewer's landing page, conflict page and side-by-side review page, and a decision without
reviews."""

from datetime import timedelta

from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from cohorts.models import Application, CallEnquiry, Cohort, ReviewAssignment
from cohorts.services import applications as services
from pine.models import AgencyType
from tests import factories
from tests.browser.steps import authenticator, fill_date_time, heading, sign_in, sign_in_practice
from tests.cohorts.review_helpers import add_rubric
from tests.factories import PASSWORD

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_the_round_flow_pages(new_context, check_page, practice_admin, partner, lead, tmp_path):
    device = authenticator(practice_admin)
    call = factories.CohortFactory(name="PINE round 20", slug="round-20")
    factories.PartnerAgencyFactory(partner=partner, name="Northshire Police", agency_type=AgencyType.POLICE)
    factories.PartnerAgencyFactory(
        partner=partner, name="Northshire Council", agency_type=AgencyType.LOCAL_AUTHORITY, is_lead=True
    )

    # A visitor asks the practice team about the open call.
    visitor = new_context().new_page()
    visitor.goto(f"/cohorts/{call.slug}/", timeout=90_000)  # the first page of a busy machine
    visitor.get_by_role("button", name="Discuss your application").click()
    expect(heading(visitor)).to_have_text("Discuss your application")
    visitor.get_by_role("button", name="Send the message").click()
    expect(visitor.locator(".govuk-error-summary")).to_contain_text("Enter your message")
    check_page(visitor, "discuss-visitor-error")
    visitor.get_by_label("Your full name").fill("Sam Patel")
    visitor.get_by_label("Your email address").fill("sam@council.example")
    visitor.get_by_label("Your message").fill("Can a youth justice service lead?")
    visitor.get_by_role("button", name="Send the message").click()
    expect(visitor.locator(".govuk-notification-banner--success")).to_contain_text("Your message is sent")

    # The partner's lead writes too, starts an application and attaches a letter of support.
    page = new_context().new_page()
    sign_in(page, lead.email, PASSWORD)
    page.goto(f"/p/{partner.slug}/discuss/{call.slug}/")
    page.get_by_label("Your message").fill("Is three years of data enough?")
    page.get_by_role("button", name="Send the message").click()
    expect(page.locator("#enquiries")).to_be_visible()
    check_page(page, "discuss-partner")
    application = factories.CompleteApplicationFactory(partner=partner, cohort=call, created_by=lead, status="draft")
    page.goto(f"/p/{partner.slug}/applications/{application.code}/")
    page.get_by_role("link", name="Letters of support from your agencies (optional)").click()
    check_page(page, "letters-empty")
    letter = tmp_path / "police-letter.pdf"
    letter.write_bytes(PDF)
    page.get_by_label("Northshire Police (Police)").check()
    page.get_by_label("Upload the letter").set_input_files(str(letter))
    page.get_by_role("button", name="Attach the letter").click()
    expect(page.locator("#letters")).to_contain_text("police-letter.pdf")
    check_page(page, "letters-attached")
    fake = tmp_path / "not-really.pdf"
    fake.write_text("plain text")
    page.get_by_label("Northshire Police (Police)").check()
    page.get_by_label("Upload the letter").set_input_files(str(fake))
    page.get_by_role("button", name="Attach the letter").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("is not a real PDF")
    check_page(page, "letters-fake-pdf")
    # Check your answers lists each agency's letter, and says which agency has none.
    page.goto(f"/p/{partner.slug}/applications/{application.code}/check/")
    expect(page.locator("#letters")).to_contain_text("police-letter.pdf")
    expect(page.locator("#letters")).to_contain_text("PDF, 48")
    expect(page.locator("#letters")).to_contain_text("No letter attached")
    check_page(page, "check-answers-letters")
    services.application_submit(partner=partner, actor=lead, application=application)
    # The visitor's address becomes a member's account: their message joins the application.
    factories.MembershipFactory(partner=partner, role="contributor", user__email="Sam@Council.example")
    page.goto(f"/p/{partner.slug}/applications/{application.code}/")
    expect(page.locator("#enquiries + ol")).to_contain_text("Can a youth justice service lead?")
    check_page(page, "application-with-messages-before-applying")

    # The practice admin: the work queue's message, the reply, the question, the stage move.
    admin = new_context().new_page()
    sign_in_practice(admin, practice_admin, device)
    admin.goto(f"/practice/cohorts/{call.slug}/")
    check_page(admin, "practice-cohort-open")
    visitor_message = CallEnquiry.objects.get(partner__isnull=True)
    admin.goto(f"/practice/enquiries/{visitor_message.code}/")
    check_page(admin, "practice-enquiry")
    admin.get_by_label("Your reply").fill("Yes, if it is a statutory service.")
    admin.get_by_role("button", name="Send the reply").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("Your reply is sent")
    assert any("Yes, if it is a statutory service." in m.body for m in mail.outbox if "sam@council.example" in m.to)

    admin.goto(f"/practice/cohorts/{call.slug}/")
    admin.get_by_role("button", name="Move to: reviewing").click()
    expect(admin.locator("#consequences")).to_contain_text("The deadline has not been reached")
    check_page(admin, "confirm-close-early")
    admin.get_by_role("button", name="Confirm: move to reviewing").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("is now: reviewing")
    admin.get_by_role("link", name="Change the review settings of PINE round 20").click()
    check_page(admin, "review-settings")
    admin.get_by_label("Reviewers for each application").fill("1")
    admin.get_by_role("button", name="Save changes").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("is saved")

    admin.goto(f"/practice/applications/{application.code}/")
    expect(admin.locator("#letter-list")).to_contain_text("police-letter.pdf")
    expect(admin.locator("main")).to_contain_text("Is three years of data enough?")
    expect(admin.locator("main")).to_contain_text("Can a youth justice service lead?")
    admin.get_by_label("Your question for the applicant").fill("How many families did you see last year?")
    admin.get_by_role("button", name="Send the question").click()
    expect(admin.locator("main")).to_contain_text("Waiting for an answer")
    check_page(admin, "practice-question-asked")

    # The lead answers the question from "check your answers".
    page.goto(f"/p/{partner.slug}/applications/{application.code}/")
    expect(page.locator("main")).to_contain_text("How many families did you see last year?")
    check_page(page, "question-for-partner")
    page.get_by_role("link", name="answer the question and submit the application again").click()
    page.get_by_label("Your answer to the practice team's question (optional)").fill("We saw 212 families.")
    check_page(page, "answer-the-question")
    page.get_by_role("button", name="Send your answer and submit").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Your response is sent")
    check_page(page, "answered")
    admin.reload()
    expect(admin.locator("main")).to_contain_text("Response received")
    check_page(admin, "practice-response-received")

    # Screened eligible, a decision before any review: the warning.
    services.application_screen(actor=practice_admin, application=application, decision="eligible", reason="Fine.")
    admin.goto(f"/practice/cohorts/{call.slug}/decisions/{application.code}/")
    expect(admin.locator("#reviews-warning")).to_contain_text("No reviewer has submitted a review")
    check_page(admin, "decision-without-reviews")

    # Another partner's draft, given a later deadline: the date and time boxes, a wrong hour first.
    draft = factories.CompleteApplicationFactory(cohort=call, status="draft")
    admin.goto(f"/practice/applications/{draft.code}/")
    fill_date_time(admin, "New deadline for this application", call.deadline_at + timedelta(days=3))
    admin.get_by_label("Hour").fill("25")
    admin.get_by_label("Reason for the extension").fill("IT outage.")
    admin.get_by_role("button", name="Extend the deadline").click()
    expect(admin.locator(".govuk-error-summary")).to_contain_text("New deadline for this application must be a real time")
    check_page(admin, "extension-error")


def test_the_reviewers_pages(new_context, check_page):
    cohort = factories.CohortFactory(status=Cohort.Status.REVIEWING, name="PINE round 21")
    add_rubric(cohort)
    reviewer = factories.ReviewerFactory(full_name="Rita Adeyemi")
    device = authenticator(reviewer)
    applications = []
    for name in ("Northshire", "Southbrook"):
        partner = factories.PartnerFactory(name=f"{name} County Council")
        factories.PartnerAgencyFactory(
            partner=partner, name=f"{name} Council", agency_type=AgencyType.LOCAL_AUTHORITY, is_lead=True
        )
        factories.PartnerAgencyFactory(partner=partner, name=f"{name} Police", agency_type=AgencyType.POLICE)
        application = factories.CompleteApplicationFactory(
            partner=partner, cohort=cohort, status=Application.Status.ELIGIBLE, practice_title=f"{name} family hubs"
        )
        factories.ReviewAssignmentFactory(application=application, reviewer=reviewer)
        applications.append(application)

    page = new_context().new_page()
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto("/accounts/login/", timeout=90_000)  # the first page of a busy machine
    sign_in_practice(page, reviewer, device)
    page.goto(reverse("home"))
    expect(heading(page)).to_have_text("Your reviews")  # a reviewer lands on their queue
    expect(page.locator("#review-counts")).to_have_text("2 to do · 0 submitted")
    check_page(page, "reviewer-landing")
    page.get_by_role("button", name="Start your next review").click()
    expect(page.locator("#applicant")).to_contain_text("Police (Police)")
    check_page(page, "conflict-with-agencies")
    page.get_by_role("group", name="Do you have a conflict of interest with this application?").get_by_label(
        "No", exact=True
    ).check()
    page.get_by_role("button", name="Continue").click()
    application_box = page.locator("#the-application").bounding_box()
    form_box = page.locator(".pine-review-panel").bounding_box()
    assert form_box["x"] > application_box["x"] + application_box["width"] - 1, (application_box, form_box)  # side by side
    check_page(page, "review-side-by-side")
    for group in page.get_by_role("group").all():
        radios = group.get_by_role("radio")
        if radios.count():
            radios.last.check()
    page.get_by_role("button", name="Submit your review").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("This is your next application")
    assert ReviewAssignment.objects.filter(reviewer=reviewer, review__status="submitted").count() == 1
    check_page(page, "next-review")
