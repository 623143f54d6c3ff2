"""A whole round of PINE, clicked through in Chromium by everyone who takes part, with every page
visited checked with axe-core (WCAG 2.2 A/AA) and, with ``PINE_SCREENSHOTS`` set, a screenshot of
each.

Only people exist at the start (a practice admin, two reviewers, two partners each with a lead);
everything else is made through the pages, and every emailed link is followed from Django's
outbox:

1. the practice admin creates a cohort as a draft (with its review settings), gives it the
   standard rubric, adds a webinar and attaches a guidance document, then opens the call through
   its confirmation page;
2. someone without an account reads the public call and registers for the webinar (the email
   carries an iCalendar file);
3. a new partnership registers itself (each agency's type by radios, nothing chosen for them),
   confirms its lead's email address from the emailed link and signs in;
4. partner A's lead and the new partnership's lead each draft an application section by section
   (the new one attaching letters of support from two of its agencies: a PDF and a Word document,
   and a fake PDF refused), check the answers and submit; a third partner leaves a draft;
5. the admin moves the cohort to reviewing through its confirmation page (the deadline not
   reached, one draft, two unscreened; the draft's partner is told), sees the step back offered,
   screens both applications and asks A a question; A's lead opens the notification, answers in
   the application's question-and-answer thread and resubmits; the admin opens "Response
   received" from their notifications, compares the two versions and screens A again;
6. the admin assigns reviewers automatically; reviewer 1 declares a conflict with A and none with
   B; reviewer 2, on a wide screen, lands on their queue, sees the partnership's agencies on the
   conflict page, scores each application beside its answers and moves on to the next;
7. the admin opens the selection panel (sorts, filters, downloads the CSV), moves the cohort to
   decided through its confirmation page, records the decisions (accept A, decline B), previews
   the emails, releases them and moves the cohort to active through its confirmation page;
8. A's lead sees "Successful" and the new evaluation; B's lead sees "Not successful".
"""

import csv
import io
import re
import time
import zipfile
from datetime import timedelta
from pathlib import Path

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from cohorts.models import Application, Cohort, ReviewAssignment
from cohorts.services.reviews import STANDARD_CRITERIA, STANDARD_SCALE
from evaluations.models import Evaluation
from pine.models import Partner
from tests import factories
from tests.browser.steps import (
    authenticator,
    download,
    fill_date_time,
    heading,
    open_practice_home,
    sign_in,
    sign_in_practice,
)
from tests.factories import PASSWORD

COHORT = "PINE round 10: the whole round"
TITLE_A = "Family network meetings at the front door"
TITLE_B = "Joint police and social work visits"
VISITOR = "sam.patel@council.example"
PARTNERSHIP_B = "Westvale Safeguarding Partnership"
LEAD_B = "morgan.reid@westvale.example"
LEAD_B_PASSWORD = "a-long-password-westvale-1"
CRITERIA = [title for title, *_ in STANDARD_CRITERIA]
TOP, BOTTOM = STANDARD_SCALE[-1], STANDARD_SCALE[0]  # (score, label, descriptor)
FIRST_PAGE_TIMEOUT_MS = 90_000  # the live server's first page, on a busy machine


def _answers(title_word: str) -> dict:
    """Each section of the application form (by its link text) and its answers (by label)."""
    return {
        "The partnership and its agencies": {"The agencies listed are the partnership applying": True},
        "The practice and why it is promising": {
            "What the practice is": f"{title_word} offered at the point of referral.",
            "Why it is promising": "Families make their own plan; re-referrals fell in the pilot.",
        },
        "Children and families served": {
            "The children and families it serves": "Families referred for the first time.",
            "How many children a year": "1,240",  # thousands separators are accepted
        },
        "Outcomes it aims to change": {"Re-referrals within 12 months": True},
        "Data available and systems": {"Data available": "Referrals since 2019.", "Case management and data systems": "Mosaic."},
        "Readiness and capacity": {
            "Staff time for the evaluation": "Two days a month.",
            "Yes": True,
            "Senior sponsor": "Jo Smith, Director of Children's Services",
        },
        "Data protection and safeguarding": {
            "Data protection arrangements": "Public task.",
            "Safeguarding arrangements": "Partnership procedures.",
        },
    }


def emails_to(address: str, *, subject: str = "", count: int = 1, timeout: float = 10.0) -> list:
    """The emails sent to ``address`` (whose subject contains ``subject``) in Django's locmem
    outbox. The live server runs against a real (transactional) database, so ``on_commit`` callbacks
    fire when each request's transaction commits, and the eager Celery task sends the email then,
    in the server's thread, before the response: the short wait is only a safety margin."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in mail.outbox if address in m.to and subject in m.subject]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def emailed_path(message, pattern: str) -> str:
    """The site path of the link in an email (``pattern`` is a regular expression for the path)."""
    match = re.search(rf"https?://[^/\s]+({pattern})", message.body)
    assert match, f"no link like {pattern} in:\n{message.body}"
    return match.group(1)


def word_document(path: Path) -> Path:
    """The smallest .docx that is one by its content: a zip with the two parts Word needs."""
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        package.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return path


def move_cohort(admin, check_page, *, to: str, expected: list[str], name: str) -> None:
    """From the practice cohort page: the stage move's confirmation page lists what it does, then
    the move."""
    admin.get_by_role("button", name=f"Move to: {to}").click()
    consequences = admin.locator("#consequences")
    for words in expected:
        expect(consequences).to_contain_text(words)
    check_page(admin, f"confirm-move-to-{name}")
    admin.get_by_role("button", name=f"Confirm: move to {to}").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text(f"is now: {to}")
    check_page(admin, f"practice-cohort-{name}")


def register(page, check_page) -> tuple[Partner, str]:
    """A new partnership finds the call, registers itself, confirms its lead's address from the
    emailed link and signs in (on the partner's home page)."""
    page.goto("/cohorts/")
    page.get_by_role("link", name=COHORT).click()
    page.get_by_role("link", name="register your agency").click()
    expect(heading(page)).to_have_text("Register your agency")
    for number in (1, 2):  # nothing is chosen for the agencies' types
        expect(page.get_by_role("group", name=f"Other agency {number}: type").get_by_role("radio", checked=True)).to_have_count(0)
    check_page(page, "register")
    page.get_by_label("Name of your organisation or partnership").fill(PARTNERSHIP_B)
    page.get_by_label("Name of the lead agency (optional)").fill("Westvale Borough Council")
    page.get_by_role("group", name="Type of lead agency").get_by_label("Local authority children's services").check()
    expect(
        page.get_by_role("group", name="Type of lead agency").get_by_label("Voluntary or community organisation")
    ).to_have_count(0)
    page.get_by_label("Other agency 1: name (optional)").fill("Westvale Police")
    page.get_by_label("Other agency 2: name (optional)").fill("Westvale Schools")
    page.get_by_role("group", name="Other agency 2: type").get_by_label("Education").check()
    page.get_by_label("Your full name").fill("Morgan Reid")
    page.get_by_label("Your work email address").fill(LEAD_B)
    page.get_by_label("Create a password").fill(LEAD_B_PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose the type of Westvale Police")
    check_page(page, "register-error")
    page.get_by_role("group", name="Other agency 1: type").get_by_label("Police").check()
    page.get_by_label("Create a password").fill(LEAD_B_PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(heading(page)).to_have_text("Confirm your email address")
    check_page(page, "confirm-email-sent")

    sign_in(page, LEAD_B, LEAD_B_PASSWORD)  # not yet: the address is not confirmed
    expect(heading(page)).to_have_text("Confirm your email address")
    (verification,) = emails_to(LEAD_B)
    page.goto(emailed_path(verification, r"/accounts/confirm-email/\S+/"))
    check_page(page, "confirm-email")
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("You can now sign in.")
    sign_in(page, LEAD_B, LEAD_B_PASSWORD)
    expect(heading(page)).to_have_text(PARTNERSHIP_B)
    expect(page.locator("#registration-banner")).to_have_count(0)  # like no partner known: it can apply at once
    check_page(page, "registered-partner-home")
    partner = Partner.objects.get(name=PARTNERSHIP_B)
    assert sorted(partner.agencies.values_list("name", "agency_type", "is_lead")) == [
        ("Westvale Borough Council", "local_authority", True),
        ("Westvale Police", "police", False),
        ("Westvale Schools", "education", False),
    ]
    return partner, LEAD_B


def attach_letters(page, check_page, tmp_path: Path, *, name: str) -> None:
    """From the application's task list: a letter of support from each of two agencies (a PDF and
    a Word document), and a text file named .pdf refused by its content."""
    page.get_by_role("link", name="Letters of support from your agencies (optional)").click()
    expect(heading(page)).to_have_text("Letters of support")
    check_page(page, f"{name}-letters-empty")
    fake = tmp_path / "letter.pdf"
    fake.write_text("Not a PDF, whatever its name says.")
    page.get_by_label("Westvale Police (Police)").check()
    page.get_by_label("Upload the letter").set_input_files(str(fake))
    page.get_by_role("button", name="Attach the letter").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("is not a real PDF")
    check_page(page, f"{name}-letters-fake-pdf")
    police = tmp_path / "police-letter.pdf"
    police.write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
    page.get_by_label("Westvale Police (Police)").check()
    page.get_by_label("Upload the letter").set_input_files(str(police))
    page.get_by_role("button", name="Attach the letter").click()
    expect(page.locator("#letters")).to_contain_text("police-letter.pdf")
    page.get_by_label("Westvale Schools (Education)").check()
    page.get_by_label("Upload the letter").set_input_files(str(word_document(tmp_path / "schools-letter.docx")))
    page.get_by_role("button", name="Attach the letter").click()
    expect(page.locator("#letters")).to_contain_text("schools-letter.docx")
    check_page(page, f"{name}-letters-attached")
    page.get_by_role("link", name="Back to the application").click()
    expect(page.locator("main")).to_contain_text("2 attached")


def apply(page, check_page, *, partner, title: str, name: str, letters_from=None) -> Application:
    """The lead (signed in, on the partner's home page) drafts the application section by section
    (attaching letters of support if ``letters_from`` is a folder), checks the answers and
    submits."""
    page.get_by_role("link", name=f"Apply to {COHORT}").click()
    expect(heading(page)).to_have_text(f"Apply to {COHORT}")
    check_page(page, f"{name}-application-start")
    page.get_by_label("Name of the practice").fill(title)
    page.get_by_role("button", name="Save and continue").click()
    expect(heading(page)).to_have_text(title)
    expect(page.locator(".govuk-task-list__status")).to_have_text(["Incomplete"] * 7)
    check_page(page, f"{name}-task-list")
    for number, (section, fields) in enumerate(_answers(title.split()[0]).items(), start=1):
        page.get_by_role("link", name=section).click()
        expect(heading(page)).to_have_text(section)
        for label, value in fields.items():
            field = page.get_by_label(label, exact=True)
            field.check() if value is True else field.fill(value)
        check_page(page, f"{name}-section-{number}")
        page.get_by_role("button", name="Save and continue").click()
        expect(heading(page)).to_have_text(title)
    expect(page.locator(".govuk-task-list__status")).to_have_text(["Completed"] * 7)
    check_page(page, f"{name}-task-list-complete")
    if letters_from is not None:
        attach_letters(page, check_page, letters_from, name=name)
    page.get_by_role("button", name="Check your answers and submit").click()
    expect(heading(page)).to_have_text("Check your answers")
    expect(page.locator("main")).to_contain_text(title)
    check_page(page, f"{name}-check-answers")
    page.get_by_role("button", name="Submit application").click()
    expect(heading(page)).to_have_text(title)
    expect(page.locator("main .govuk-tag").first).to_have_text("Submitted")
    check_page(page, f"{name}-submitted")
    application = Application.objects.get(partner=partner, practice_title=title)
    assert application.status == Application.Status.SUBMITTED
    assert application.children_count == 1240
    return application


def screen_eligible(admin, check_page, *, title: str, name: str) -> None:
    """From the practice cohort page: open the application and screen it eligible."""
    admin.get_by_role("link", name=title, exact=True).click()
    expect(heading(admin)).to_have_text(title)
    check_page(admin, f"{name}-practice-application")
    admin.get_by_label("Eligible", exact=True).check()
    admin.get_by_label("Reason", exact=True).fill("A statutory partnership with measurable outcomes.")
    admin.get_by_role("button", name="Record screening decision").click()
    expect(admin.locator("main .govuk-tag").first).to_have_text("Screened: eligible")
    check_page(admin, f"{name}-screened")


def declare_conflict(page, check_page, *, label: str | None = None, conflict: bool, name: str) -> None:
    """Answer the conflict-of-interest question (first opening the assignment from "Your reviews",
    if ``label`` names it)."""
    if label:
        page.get_by_role("link", name=label).click()
    expect(heading(page)).to_have_text("Conflict of interest")
    check_page(page, f"{name}-conflict")
    page.get_by_role("group", name="Do you have a conflict of interest with this application?").get_by_label(
        "Yes" if conflict else "No", exact=True
    ).check()
    if conflict:
        page.get_by_label("Describe the conflict (if you have one)").fill("I managed the front door team until last year.")
    page.get_by_role("button", name="Continue").click()


def fill_scores(page, level: tuple, name: str) -> None:
    score, label, _ = level
    for criterion in CRITERIA:
        group = page.get_by_role("group", name=criterion, exact=True)
        group.get_by_role("radio", name=f"{score} – {label}").check()
    page.get_by_label("Overall comments (optional)").fill(f"{label}: scored by {name}.")


def score_and_submit(page, check_page, *, title: str, level: tuple, name: str, empty_first: bool = False) -> None:
    """On the review page: a score for every criterion of the standard rubric, then submit (first
    without any score, if ``empty_first``: the errors name every criterion)."""
    expect(heading(page)).to_have_text(title)
    check_page(page, f"{name}-review-form")
    if empty_first:
        page.get_by_role("button", name="Submit your review").click()
        summary = page.locator(".govuk-error-summary")
        for criterion in CRITERIA:
            expect(summary).to_contain_text(f"Choose a score for “{criterion}”")
        for link in summary.get_by_role("link").all():  # each error links to the first radio of its criterion
            expect(page.locator(link.get_attribute("href")).and_(page.get_by_role("radio"))).to_have_count(1)
        check_page(page, f"{name}-review-form-error")
    fill_scores(page, level, name)
    review_url = page.url
    page.get_by_role("button", name="Submit your review").click()
    # Submitting moves on: to the next review, or to the reviewer's list after the last one.
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Your review is submitted")
    check_page(page, f"{name}-after-submitting")
    page.goto(review_url)
    expect(page.get_by_role("heading", name="Other reviews")).to_be_visible()
    check_page(page, f"{name}-review-submitted")


def review_side_by_side(page, check_page, *, name: str) -> str:
    """On a wide screen: the application and the scoring form side by side; score it top and
    submit. The application's title."""
    title = heading(page).inner_text()
    application_box = page.locator("#the-application").bounding_box()
    form_box = page.locator(".pine-review-panel").bounding_box()
    assert form_box["x"] >= application_box["x"] + application_box["width"] - 1, (application_box, form_box)
    assert form_box["y"] < application_box["y"] + 200, (application_box, form_box)  # level, not stacked
    check_page(page, f"{name}-review-side-by-side")
    fill_scores(page, TOP, name)
    page.get_by_role("button", name="Submit your review").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Your review is submitted")
    return title


def test_a_whole_round(new_context, check_page, practice_admin, partner, lead, other_partner, other_lead, tmp_path):
    admin_device = authenticator(practice_admin)
    reviewer_1 = factories.ReviewerFactory(email="rita@pine.example", full_name="Rita Adeyemi")
    reviewer_2 = factories.ReviewerFactory(email="tom@pine.example", full_name="Tom Baker")
    devices = {r.pk: authenticator(r) for r in (reviewer_1, reviewer_2)}
    partner_a, lead_a = partner, lead
    label_a = f"{TITLE_A} ({partner_a.name})"

    # 1. The practice admin creates the cohort as a draft, with its review settings ...
    admin = new_context().new_page()
    admin.goto("/accounts/login/", timeout=FIRST_PAGE_TIMEOUT_MS)
    sign_in_practice(admin, practice_admin, admin_device)
    open_practice_home(admin)
    check_page(admin, "practice-home")
    admin.get_by_role("button", name="Create a cohort").click()
    expect(heading(admin)).to_have_text("Create a cohort")
    check_page(admin, "cohort-form")
    now = timezone.now()
    admin.get_by_label("Name", exact=True).fill(COHORT)
    admin.get_by_label("Theme (optional)").fill("Front-door practice")
    admin.get_by_label("Description of the call").fill("Councils and their partners evaluating a front-door practice.")
    admin.get_by_label("Guidance for applicants").fill("## Before you apply\n\nRead the **whole** call.")
    admin.get_by_label("Who can apply").fill("- Councils\n- Police forces")
    admin.get_by_label("How many partners can join").fill("1")
    fill_date_time(admin, "Call opens", now - timedelta(hours=1))
    fill_date_time(admin, "Application deadline", now + timedelta(days=30))
    admin.get_by_label("Reviewers for each application").fill("2")
    expect(admin.get_by_label("Publish the call now")).not_to_be_checked()  # a draft, opened through its confirmation
    admin.get_by_role("button", name="Create cohort").click()
    expect(heading(admin)).to_have_text(COHORT)
    expect(admin.locator(".govuk-summary-list").first).to_contain_text("Draft")
    places = admin.locator(".govuk-summary-list__row", has=admin.locator("dt", has_text=re.compile(r"^Places$")))
    expect(places).to_have_count(1)  # once, and in words
    expect(places.locator("dd")).to_have_text("1 partner")
    check_page(admin, "practice-cohort-draft")
    cohort = Cohort.objects.get(name=COHORT)
    assert cohort.status == Cohort.Status.DRAFT and cohort.reviewers_per_application == 2
    cohort_url = f"/practice/cohorts/{cohort.slug}/"

    # ... gives it the standard rubric ...
    admin.get_by_role("link", name="Scoring rubric").click()
    expect(heading(admin)).to_have_text("Scoring rubric")
    check_page(admin, "rubric-empty")
    admin.get_by_role("link", name="Use the standard rubric").click()
    expect(heading(admin)).to_have_text("Use the standard rubric")
    check_page(admin, "rubric-standard")
    admin.get_by_label("Replace this cohort's criteria and scale with the standard rubric").check()
    admin.get_by_role("button", name="Use the standard rubric").click()
    expect(heading(admin)).to_have_text("Scoring rubric")
    expect(admin.locator(".govuk-summary-card__title")).to_have_text([f"{n}. {t}" for n, t in enumerate(CRITERIA, start=1)])
    check_page(admin, "rubric")

    # ... adds a webinar and attaches the guidance ...
    admin.goto(cohort_url)
    admin.get_by_role("link", name="Add an event").click()
    expect(heading(admin)).to_have_text("Add an event")
    check_page(admin, "event-form")
    starts = (now + timedelta(days=7)).replace(hour=10, minute=0)
    admin.get_by_label("Title").fill("Webinar about round 10")
    fill_date_time(admin, "Starts", starts)
    fill_date_time(admin, "Ends", starts + timedelta(hours=1))
    admin.get_by_label("Joining details").fill("https://meet.example.org/round-10")
    admin.get_by_label("Capacity (optional)").fill("30")
    admin.get_by_role("button", name="Add event").click()
    expect(heading(admin)).to_have_text("Webinar about round 10")
    check_page(admin, "practice-event")
    admin.goto(cohort_url)
    admin.get_by_role("link", name="Attach a document").click()
    check_page(admin, "document-form")
    pdf = tmp_path / "guidance.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%%EOF\n")
    admin.get_by_label("Title").fill("Guidance for applicants")
    admin.get_by_label("Upload a file").set_input_files(str(pdf))
    admin.get_by_role("button", name="Upload document").click()
    expect(admin.locator("main")).to_contain_text("Guidance for applicants is attached")
    check_page(admin, "document-attached")

    # ... and opens the call, through its confirmation page.
    admin.goto(cohort_url)
    move_cohort(
        admin,
        check_page,
        to="open for applications",
        expected=["The call is published on the public list of calls.", "Partners can apply at once"],
        name="open",
    )

    # 2. Someone without an account reads the call and registers for the webinar.
    public = new_context().new_page()
    public.goto("/cohorts/")
    check_page(public, "public-list")
    public.get_by_role("link", name=COHORT).click()
    expect(heading(public)).to_have_text(COHORT)
    expect(public.get_by_role("heading", name="Before you apply")).to_be_visible()
    expect(public.get_by_role("link", name="Guidance for applicants")).to_be_visible()
    expect(public.get_by_role("button", name="Discuss your application")).to_be_visible()
    check_page(public, "public-call")
    public.get_by_role("link", name="Webinar about round 10").click()
    expect(heading(public)).to_have_text("Webinar about round 10")
    check_page(public, "public-event")
    public.get_by_label("Full name").fill("Sam Patel")
    public.get_by_label("Email address").fill(VISITOR)
    public.get_by_label("Organisation").fill("Eastshire County Council")
    public.get_by_role("button", name="Register").click()
    expect(heading(public)).to_have_text("You are registered")
    check_page(public, "public-event-registered")
    (confirmation,) = emails_to(VISITOR, subject="You are registered: Webinar about round 10")
    (calendar,) = [a for a in confirmation.attachments if a[0].endswith(".ics")]
    assert calendar[2].startswith("text/calendar") and "BEGIN:VEVENT" in calendar[1], calendar

    # 3. A new partnership registers itself and confirms its lead's email address.
    page_b = new_context().new_page()
    partner_b, lead_b_email = register(page_b, check_page)
    label_b = f"{TITLE_B} ({partner_b.name})"

    # 4. Each lead drafts, checks and submits an application; B attaches letters of support.
    page_a = new_context().new_page()
    sign_in(page_a, lead_a.email, PASSWORD)
    expect(heading(page_a)).to_have_text(partner_a.name)
    check_page(page_a, "a-partner-home")
    application_a = apply(page_a, check_page, partner=partner_a, title=TITLE_A, name="a")
    application_b = apply(page_b, check_page, partner=partner_b, title=TITLE_B, name="b", letters_from=tmp_path)
    assert emails_to(lead_a.email, subject=f"Application received: {TITLE_A} ({COHORT})")
    assert emails_to(lead_b_email, subject=f"Application received: {TITLE_B} ({COHORT})")
    assert sorted(application_b.letters.values_list("agency__name", flat=True)) == ["Westvale Police", "Westvale Schools"]

    # A third partner starts an application and leaves it a draft.
    page_c = new_context().new_page()
    sign_in(page_c, other_lead.email, PASSWORD)
    page_c.get_by_role("link", name=f"Apply to {COHORT}").click()
    page_c.get_by_label("Name of the practice").fill("Edge of care family support")
    page_c.get_by_role("button", name="Save and continue").click()
    expect(heading(page_c)).to_have_text("Edge of care family support")
    page_c.close()

    # 5. The admin closes the call before its deadline, through the confirmation page: it says
    # what the move does and who is told; the step back is offered until a review is submitted.
    admin.goto(cohort_url)
    move_cohort(
        admin,
        check_page,
        to="reviewing",
        expected=[
            "The deadline has not been reached",
            "1 draft application can no longer be submitted",
            "2 submitted applications are waiting to be screened",
            "You can move it back to open until the first review is submitted.",
        ],
        name="reviewing",
    )
    assert emails_to(other_lead.email, subject=f"{COHORT} has closed early: your draft application was not submitted")
    admin.get_by_role("button", name="Move back to: open for applications").click()
    expect(admin.locator("#consequences")).to_contain_text("The call reopens for applications")
    check_page(admin, "confirm-move-back-to-open")
    admin.get_by_role("link", name="Cancel").click()
    expect(heading(admin)).to_have_text(COHORT)

    # The admin screens B eligible, and asks A a question.
    screen_eligible(admin, check_page, title=TITLE_B, name="b")
    expect(admin.locator("#letter-list")).to_contain_text("police-letter.pdf")
    expect(admin.locator("#letter-list")).to_contain_text("schools-letter.docx")
    admin.goto(cohort_url)
    admin.get_by_role("link", name=TITLE_A, exact=True).click()
    question = "How many families did you offer a meeting last year?"
    admin.get_by_label("Your question for the applicant").fill(question)
    admin.get_by_role("button", name="Send the question").click()
    expect(admin.locator("main .govuk-tag").first).to_have_text("More information requested")
    expect(admin.locator("main")).to_contain_text("Waiting for an answer")
    check_page(admin, "a-more-information-requested")
    assert emails_to(lead_a.email, subject=f"The practice team has a question about your application: {TITLE_A}")

    # A's lead opens the notification (which marks it read), answers in the thread and resubmits.
    page_a.goto(f"/p/{partner_a.slug}/")
    page_a.locator("#nav-notifications").click()
    expect(heading(page_a)).to_have_text("Notifications")
    check_page(page_a, "a-notifications")
    page_a.get_by_role("link", name=f"The practice team has a question about your application: {TITLE_A}").click()
    expect(heading(page_a)).to_have_text(TITLE_A)
    expect(page_a.locator("#nav-notifications .govuk-tag")).to_have_text(re.compile(r"^1\s*unread$"))  # opened: read
    expect(page_a.locator("main .govuk-tag").first).to_have_text("More information needed")
    expect(page_a.get_by_role("heading", name="Questions and answers")).to_be_visible()
    expect(page_a.locator("main")).to_contain_text(question)
    check_page(page_a, "a-more-information-needed")
    page_a.get_by_role("link", name="Children and families served").click()
    page_a.get_by_label("How many children a year").fill("1,310")
    page_a.get_by_role("button", name="Save and continue").click()
    page_a.get_by_role("button", name="Check your answers and submit").click()
    check_page(page_a, "a-check-answers-again")
    page_a.get_by_label("Your answer to the practice team's question (optional)").fill("We offered 310 families a meeting.")
    page_a.get_by_role("button", name="Send your answer and submit").click()
    expect(page_a.locator("main .govuk-tag").first).to_have_text("Submitted")
    expect(page_a.locator(".govuk-notification-banner--success")).to_contain_text("Your response is sent")
    expect(page_a.locator("main")).to_contain_text("We offered 310 families a meeting.")  # the thread keeps both
    expect(page_a.locator("main")).to_contain_text(question)
    check_page(page_a, "a-resubmitted")
    name, copy = download(page_a, page_a.get_by_role("link", name=re.compile(r"^Download a PDF copy of what you submitted")))
    assert name.endswith(".pdf") and copy.startswith(b"%PDF"), (name, copy[:20])
    page_a.get_by_role("link", name="Compare the last two versions").click()
    expect(heading(page_a)).to_have_text("Compare versions 1 and 2")
    expect(page_a.locator("main")).to_contain_text("1 answer changed.")
    check_page(page_a, "a-compare-versions")

    # The admin opens "Response received" from their notifications, compares the versions too,
    # and screens A eligible.
    admin.locator("#nav-notifications").click()
    expect(heading(admin)).to_have_text("Notifications")
    check_page(admin, "practice-notifications")
    admin.get_by_role("link", name=f"Response received: {TITLE_A} ({partner_a.name})").click()
    expect(heading(admin)).to_have_text(TITLE_A)
    expect(admin.locator("main")).to_contain_text("Response received")
    expect(admin.locator("main")).to_contain_text("We offered 310 families a meeting.")
    check_page(admin, "a-practice-response-received")
    admin.get_by_role("link", name="Compare the last two versions").click()
    expect(heading(admin)).to_have_text("Compare versions 1 and 2")
    expect(admin.locator("main")).to_contain_text("1,310")
    check_page(admin, "a-practice-compare-versions")
    admin.goto(cohort_url)
    screen_eligible(admin, check_page, title=TITLE_A, name="a")
    application_a.refresh_from_db()
    assert application_a.status == Application.Status.ELIGIBLE and application_a.revisions.count() == 2

    # 6. The admin assigns reviewers automatically: both reviewers to both applications.
    admin.goto(cohort_url)
    admin.get_by_role("link", name="Reviewers and assignments").click()
    expect(heading(admin)).to_have_text("Reviewers and assignments")
    check_page(admin, "assignments-none")
    admin.get_by_role("button", name="Assign reviewers automatically").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("4 assignments made")
    check_page(admin, "assignments")
    assert ReviewAssignment.objects.filter(application__cohort=cohort).count() == 4
    for reviewer in (reviewer_1, reviewer_2):
        assert len(emails_to(reviewer.email, subject=f"PINE: you have an application to review in {COHORT}", count=2)) == 2

    # Reviewer 1 declares a conflict with A and none with B, then scores B low.
    page_r1 = new_context().new_page()
    sign_in_practice(page_r1, reviewer_1, devices[reviewer_1.pk])
    expect(heading(page_r1)).to_have_text("Your reviews")  # a reviewer lands on their queue
    expect(page_r1.locator("main")).to_contain_text("Not started")
    check_page(page_r1, "r1-review-list")
    declare_conflict(page_r1, check_page, label=label_a, conflict=True, name="r1-a")
    expect(heading(page_r1)).to_have_text("Your reviews")
    expect(page_r1.locator(".govuk-notification-banner--success")).to_contain_text("You are no longer reviewing")
    expect(page_r1.get_by_role("link", name=label_a)).to_have_count(0)
    check_page(page_r1, "r1-review-list-after-conflict")
    assert emails_to(practice_admin.email, subject=f"PINE: Rita Adeyemi declared a conflict of interest in {COHORT}")
    declare_conflict(page_r1, check_page, label=label_b, conflict=False, name="r1-b")
    score_and_submit(page_r1, check_page, title=TITLE_B, level=BOTTOM, name="r1-b", empty_first=True)
    conflicted = ReviewAssignment.objects.get(reviewer=reviewer_1, application=application_a)
    assert conflicted.conflict == ReviewAssignment.Conflict.DECLARED
    response = page_r1.goto(f"/practice/reviews/{conflicted.code}/")
    assert response.status == 404, "a reviewer with a conflict can still open the application"

    # Reviewer 2, on a wide screen, lands on their queue and works through it: the agencies on the
    # conflict page, each application beside its scoring form, then the next.
    page_r2 = new_context().new_page()
    page_r2.set_viewport_size({"width": 1400, "height": 900})
    sign_in_practice(page_r2, reviewer_2, devices[reviewer_2.pk])
    expect(heading(page_r2)).to_have_text("Your reviews")
    expect(page_r2.locator("#review-counts")).to_have_text("2 to do · 0 submitted")
    check_page(page_r2, "r2-queue")
    page_r2.get_by_role("button", name="Start your next review").click()
    reviewed = []
    for number in (1, 2):
        expect(page_r2.locator("#applicant")).to_contain_text("Partnership")
        declare_conflict(page_r2, check_page, conflict=False, name=f"r2-{number}")
        reviewed.append(review_side_by_side(page_r2, check_page, name=f"r2-{number}"))
        check_page(page_r2, f"r2-{number}-after-submitting")
    assert sorted(reviewed) == sorted([TITLE_A, TITLE_B])
    expect(page_r2.locator(".govuk-notification-banner--success")).to_contain_text("That was your last review to do")
    expect(page_r2.locator("#review-counts")).to_have_text("0 to do · 2 submitted")
    expect(page_r2.locator("main")).not_to_contain_text("Before you open an application")  # nothing left to open
    assert ReviewAssignment.objects.filter(reviewer=reviewer_2, review__status="submitted").count() == 2

    # 7. The admin opens the panel: A has one review, B two that disagree.
    admin.goto(cohort_url)
    admin.get_by_role("link", name=re.compile("^Selection panel")).click()
    expect(heading(admin)).to_have_text("Selection panel")
    table = admin.locator("main > table.govuk-table > tbody > tr")
    expect(table).to_have_count(2)
    check_page(admin, "panel")
    mean = admin.get_by_role("columnheader", name="Mean")
    expect(mean).to_have_attribute("aria-sort", "none")
    mean.get_by_role("link").click()  # highest mean first: A (20), then B (12.5)
    expect(admin).to_have_url(re.compile(r"sort=mean"))
    expect(mean).to_have_attribute("aria-sort", "descending")
    expect(table.first).to_contain_text(TITLE_A)
    mean.get_by_role("link").click()  # and the other way round
    expect(admin).to_have_url(re.compile(r"sort=-mean"))
    expect(mean).to_have_attribute("aria-sort", "ascending")
    expect(table.first).to_contain_text(TITLE_B)
    check_page(admin, "panel-sorted")
    admin.get_by_label("Only applications where reviewers disagree").check()
    admin.get_by_role("button", name="Apply filters").click()
    expect(table).to_have_count(1)
    expect(table.first).to_contain_text(TITLE_B)
    expect(table.first).to_contain_text("Disagree")
    table.first.get_by_text("Scores by criterion").click()
    scores = table.first.get_by_role("table", name=re.compile("Each reviewer's score for each criterion"))
    expect(scores.get_by_role("row")).to_have_count(1 + len(CRITERIA))
    expect(scores.get_by_role("row").nth(1)).to_contain_text(f"{BOTTOM[0]}")
    check_page(admin, "panel-filtered")
    with admin.expect_download() as download_info:
        admin.get_by_role("link", name="CSV", exact=True).click()
    assert download_info.value.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(Path(download_info.value.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) == 2 and any(TITLE_B in cell for cell in rows[1]), rows

    # Reviewing ends, through the confirmation page.
    admin.goto(cohort_url)
    move_cohort(
        admin,
        check_page,
        to="decided",
        expected=["2 eligible applications have no decision recorded yet.", "Reviewing ends: this cannot be undone."],
        name="decided",
    )

    # The admin records the decisions: accept A, decline B.
    admin.get_by_role("link", name=re.compile("^Selection panel")).click()
    admin.get_by_role("link", name=f"Decisions for {COHORT}").click()
    expect(heading(admin)).to_have_text("Decisions")
    check_page(admin, "decisions")
    for title, decision, note, name in (
        (TITLE_A, "Accept", "A clear plan and good data.", "a"),
        (TITLE_B, "Decline", "The panel found the evidence of promise too thin this round.", "b"),
    ):
        admin.get_by_role("link", name=f"Record a decision on {title}").click()
        expect(heading(admin)).to_have_text(f"Decision on “{title}”")
        expect(admin.locator("#reviews-warning")).to_have_count(0)  # reviews are in
        check_page(admin, f"{name}-decision-form")
        admin.get_by_label(decision, exact=True).check()
        admin.get_by_label("Reason for the decision (optional)").fill(note)
        admin.get_by_role("button", name="Save the pending decision").click()
        expect(heading(admin)).to_have_text("Decisions")
        expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("pending until you release")
        check_page(admin, f"{name}-decision-pending")
    assert not emails_to(lead_a.email, subject="successful", timeout=0), "a decision was sent before its release"

    # ... previews the emails and releases them.
    admin.get_by_role("link", name=re.compile(r"^Preview the 2 emails")).click()
    expect(heading(admin)).to_have_text("Preview the decisions")
    expect(admin.locator("main")).to_contain_text(f"PINE: your application to {COHORT} was successful")
    expect(admin.locator("main")).to_contain_text(f"PINE: your application to {COHORT} was not successful")
    check_page(admin, "decisions-preview")
    admin.get_by_role("button", name=re.compile(r"^Release 2 decisions")).click()
    expect(admin.locator(".govuk-error-summary")).to_contain_text("Confirm you have checked the emails")
    check_page(admin, "decisions-preview-error")
    admin.get_by_label("I have checked the emails: send them and release the decisions").check()
    # The slowest request of the round (the accepted partner's evaluation is made and the emails
    # sent before the response): more than the default wait on a loaded machine.
    admin.get_by_role("button", name=re.compile(r"^Release 2 decisions")).click(timeout=60_000)
    expect(heading(admin)).to_have_text("Decisions")
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("2 decisions released")
    check_page(admin, "decisions-released")

    (accepted,) = emails_to(lead_a.email, subject=f"PINE: your application to {COHORT} was successful")
    assert "A clear plan and good data." in accepted.body
    (declined,) = emails_to(lead_b_email, subject=f"PINE: your application to {COHORT} was not successful")
    assert "too thin this round" in declined.body
    assert not emails_to(lead_b_email, subject="was successful", timeout=0)
    application_a.refresh_from_db()
    application_b.refresh_from_db()
    assert (application_a.status, application_b.status) == (Application.Status.ACCEPTED, Application.Status.DECLINED)
    evaluation = Evaluation.objects.get(application=application_a)
    assert not Evaluation.objects.filter(application=application_b).exists()

    # The programme starts, through the confirmation page.
    admin.goto(cohort_url)
    move_cohort(
        admin,
        check_page,
        to="active",
        expected=["The programme starts for the accepted partners. This cannot be undone."],
        name="active",
    )

    # 8. A's lead sees "Successful" and the new evaluation; B's lead sees "Not successful".
    page_a.goto(f"/p/{partner_a.slug}/")
    expect(page_a.get_by_role("row", name=re.compile(TITLE_A))).to_contain_text("Successful")
    expect(page_a.get_by_role("link", name=TITLE_A, exact=True)).to_have_count(2)  # the evaluation, and the application
    check_page(page_a, "a-partner-home-successful")
    page_a.get_by_role("link", name=TITLE_A, exact=True).last.click()
    expect(page_a.locator("main .govuk-tag").first).to_have_text("Successful")
    check_page(page_a, "a-application-successful")
    page_a.get_by_role("link", name="Go to your evaluation").click()
    expect(heading(page_a)).to_have_text(evaluation.title)
    check_page(page_a, "a-evaluation")
    page_b.goto(f"/p/{partner_b.slug}/")
    page_b.get_by_role("link", name=TITLE_B, exact=True).click()
    expect(page_b.locator("main .govuk-tag").first).to_have_text("Not successful")
    expect(page_b.get_by_role("link", name="Go to your evaluation")).to_have_count(0)
    check_page(page_b, "b-application-not-successful")
    response = page_b.goto(f"/p/{partner_a.slug}/evaluations/{evaluation.code}/")
    assert response.status == 404, "the other partner can open A's evaluation"
