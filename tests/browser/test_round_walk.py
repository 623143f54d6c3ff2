"""A whole round of PINE, clicked through in Chromium by everyone who takes part, with every page
visited checked with axe-core (WCAG 2.2 A/AA).

Only people exist at the start (a practice admin, two reviewers, two partners each with a lead);
everything else is made through the pages:

1. the practice admin creates a cohort as a draft, gives it the standard rubric, adds a webinar and
   attaches a guidance document, then opens the call;
2. someone without an account reads the public call and registers for the webinar (the email
   carries an iCalendar file);
3. each partner's lead drafts an application section by section, checks the answers and submits;
4. the admin moves the cohort to reviewing, screens both applications eligible and asks partner A
   a question; A's lead answers and resubmits; the admin and the lead compare the two versions;
5. the admin assigns reviewers automatically; reviewer 1 declares a conflict with A and none with B;
   reviewer 2 declares none; both score and submit;
6. the admin opens the selection panel (sorts, filters, downloads the CSV), records the decisions
   (accept A, decline B), previews the emails and releases them;
7. A's lead sees "Successful" and the new evaluation; B's lead sees "Not successful".
"""

import csv
import io
import re
import time
from datetime import timedelta
from pathlib import Path

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from cohorts.models import Application, Cohort, ReviewAssignment
from cohorts.services.reviews import STANDARD_CRITERIA, STANDARD_SCALE
from evaluations.models import Evaluation
from tests import factories
from tests.browser.steps import (
    authenticator,
    datetime_local,
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
CRITERIA = [title for title, *_ in STANDARD_CRITERIA]
TOP, BOTTOM = STANDARD_SCALE[-1], STANDARD_SCALE[0]  # (score, label, descriptor)


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
            "How many children a year": "240",
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


def apply(page, check_page, *, partner, title: str, name: str) -> Application:
    """The lead (signed in, on the partner's home page) drafts the application section by section,
    checks the answers and submits."""
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


def declare_conflict(page, check_page, *, label: str, conflict: bool, name: str) -> None:
    """From "Your reviews": open the assignment and answer the conflict-of-interest question."""
    page.get_by_role("link", name=label).click()
    expect(heading(page)).to_have_text("Conflict of interest")
    check_page(page, f"{name}-conflict")
    page.get_by_role("group", name="Do you have a conflict of interest with this application?").get_by_label(
        "Yes" if conflict else "No", exact=True
    ).check()
    if conflict:
        page.get_by_label("Describe the conflict (if you have one)").fill("I managed the front door team until last year.")
    page.get_by_role("button", name="Continue").click()


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
    score, label, _ = level
    for criterion in CRITERIA:
        group = page.get_by_role("group", name=criterion, exact=True)
        group.get_by_role("radio", name=f"{score} – {label}").check()
    page.get_by_label("Overall comments (optional)").fill(f"{label}: scored by {name}.")
    review_url = page.url
    page.get_by_role("button", name="Submit your review").click()
    # Submitting moves on: to the next review, or to the reviewer's list after the last one.
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Your review is submitted")
    check_page(page, f"{name}-after-submitting")
    page.goto(review_url)
    expect(page.get_by_role("heading", name="Other reviews")).to_be_visible()
    check_page(page, f"{name}-review-submitted")


def test_a_whole_round(new_context, check_page, practice_admin, partner, lead, other_partner, other_lead, tmp_path):
    admin_device = authenticator(practice_admin)
    reviewer_1 = factories.ReviewerFactory(email="rita@pine.example", full_name="Rita Adeyemi")
    reviewer_2 = factories.ReviewerFactory(email="tom@pine.example", full_name="Tom Baker")
    devices = {r.pk: authenticator(r) for r in (reviewer_1, reviewer_2)}
    partner_a, lead_a, partner_b, lead_b = partner, lead, other_partner, other_lead
    label_a, label_b = f"{TITLE_A} ({partner_a.name})", f"{TITLE_B} ({partner_b.name})"

    # 1. The practice admin creates the cohort as a draft ...
    admin = new_context().new_page()
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
    admin.get_by_label("Publish the call now").uncheck()
    admin.get_by_role("button", name="Create cohort").click()
    expect(heading(admin)).to_have_text(COHORT)
    expect(admin.locator(".govuk-summary-list").first).to_contain_text("Draft")
    check_page(admin, "practice-cohort-draft")
    cohort = Cohort.objects.get(name=COHORT)
    assert cohort.status == Cohort.Status.DRAFT
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
    admin.get_by_label("Starts (UK time)").fill(datetime_local(starts))
    admin.get_by_label("Ends (UK time)").fill(datetime_local(starts + timedelta(hours=1)))
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

    # ... and opens the call.
    admin.goto(cohort_url)
    admin.get_by_role("button", name="Move to: open for applications").click()
    expect(admin.locator("#consequences")).to_be_visible()  # the confirmation: what the move does
    check_page(admin, "confirm-move-to-open")
    admin.get_by_role("button", name="Confirm: move to open for applications").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("is now: open for applications")
    check_page(admin, "practice-cohort-open")

    # 2. Someone without an account reads the call and registers for the webinar.
    public = new_context().new_page()
    public.goto("/cohorts/")
    check_page(public, "public-list")
    public.get_by_role("link", name=COHORT).click()
    expect(heading(public)).to_have_text(COHORT)
    expect(public.get_by_role("heading", name="Before you apply")).to_be_visible()
    expect(public.get_by_role("link", name="Guidance for applicants")).to_be_visible()
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

    # 3. Each partner's lead drafts, checks and submits an application.
    page_a = new_context().new_page()
    sign_in(page_a, lead_a.email, PASSWORD)
    expect(heading(page_a)).to_have_text(partner_a.name)
    check_page(page_a, "a-partner-home")
    application_a = apply(page_a, check_page, partner=partner_a, title=TITLE_A, name="a")
    page_b = new_context().new_page()
    sign_in(page_b, lead_b.email, PASSWORD)
    expect(heading(page_b)).to_have_text(partner_b.name)
    check_page(page_b, "b-partner-home")
    application_b = apply(page_b, check_page, partner=partner_b, title=TITLE_B, name="b")
    assert emails_to(lead_a.email, subject=f"Application received: {TITLE_A} ({COHORT})")
    assert emails_to(lead_b.email, subject=f"Application received: {TITLE_B} ({COHORT})")

    # 4. The admin moves the cohort to reviewing, screens both eligible and asks A a question.
    admin.goto(cohort_url)
    admin.get_by_role("button", name="Move to: reviewing").click()
    expect(admin.locator("#consequences")).to_be_visible()  # the confirmation: what the move does
    check_page(admin, "confirm-move-to-reviewing")
    admin.get_by_role("button", name="Confirm: move to reviewing").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("is now: reviewing")
    check_page(admin, "practice-cohort-reviewing")
    screen_eligible(admin, check_page, title=TITLE_B, name="b")
    admin.goto(cohort_url)
    screen_eligible(admin, check_page, title=TITLE_A, name="a")
    question = "How many families did you offer a meeting last year?"
    admin.get_by_label("Your question for the applicant").fill(question)
    admin.get_by_role("button", name="Send the question").click()
    expect(admin.locator("main .govuk-tag").first).to_have_text("More information requested")
    check_page(admin, "a-more-information-requested")
    assert emails_to(lead_a.email, subject=f"The practice team has a question about your application: {TITLE_A}")

    # A's lead answers, resubmits and compares the versions.
    page_a.goto(f"/p/{partner_a.slug}/")
    page_a.get_by_role("link", name=TITLE_A).click()
    expect(page_a.locator("main .govuk-tag").first).to_have_text("More information needed")
    expect(page_a.locator(".govuk-inset-text")).to_contain_text(question)
    check_page(page_a, "a-more-information-needed")
    page_a.get_by_role("link", name="Children and families served").click()
    check_page(page_a, "a-section-answer")
    page_a.get_by_label("How many children a year").fill("310")
    page_a.get_by_role("button", name="Save and continue").click()
    page_a.get_by_role("button", name="Check your answers and submit").click()
    check_page(page_a, "a-check-answers-again")
    page_a.get_by_label("Your answer to the practice team's question (optional)").fill("We offered 310 families a meeting.")
    page_a.get_by_role("button", name="Send your answer and submit").click()
    expect(page_a.locator("main .govuk-tag").first).to_have_text("Submitted")
    check_page(page_a, "a-resubmitted")
    page_a.get_by_role("link", name="Compare the last two versions").click()
    expect(heading(page_a)).to_have_text("Compare versions 1 and 2")
    expect(page_a.locator("main")).to_contain_text("1 answer changed.")
    check_page(page_a, "a-compare-versions")

    # The admin compares the versions too, and screens A eligible again.
    admin.goto(cohort_url)
    admin.get_by_role("link", name=TITLE_A, exact=True).click()
    admin.get_by_role("link", name="Compare the last two versions").click()
    expect(heading(admin)).to_have_text("Compare versions 1 and 2")
    expect(admin.locator("main")).to_contain_text("310")
    check_page(admin, "a-practice-compare-versions")
    admin.goto(cohort_url)
    screen_eligible(admin, check_page, title=TITLE_A, name="a-again")
    application_a.refresh_from_db()
    assert application_a.status == Application.Status.ELIGIBLE and application_a.revisions.count() == 2

    # 5. The admin assigns reviewers automatically: both reviewers to both applications.
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
    open_practice_home(page_r1)
    check_page(page_r1, "r1-practice-home")
    page_r1.get_by_role("link", name="Your reviews").click()
    expect(heading(page_r1)).to_have_text("Your reviews")
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

    # Reviewer 2 declares no conflicts and scores both high.
    page_r2 = new_context().new_page()
    sign_in_practice(page_r2, reviewer_2, devices[reviewer_2.pk])
    page_r2.goto("/practice/reviews/")
    check_page(page_r2, "r2-review-list")
    for label, title, name in ((label_a, TITLE_A, "r2-a"), (label_b, TITLE_B, "r2-b")):
        declare_conflict(page_r2, check_page, label=label, conflict=False, name=name)
        score_and_submit(page_r2, check_page, title=title, level=TOP, name=name)
        page_r2.get_by_role("link", name="Back to your reviews").click()
    check_page(page_r2, "r2-review-list-done")

    # 6. The admin opens the panel: A has one review, B two that disagree.
    admin.goto(cohort_url)
    admin.get_by_role("link", name=re.compile("^Selection panel")).click()
    expect(heading(admin)).to_have_text("Selection panel")
    table = admin.locator("main > table.govuk-table > tbody > tr")
    expect(table).to_have_count(2)
    check_page(admin, "panel")
    expect(table.first).to_contain_text(TITLE_A)  # by partner name: Northshire, then Southbrook
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
    admin.get_by_role("link", name="Clear filters").click()
    expect(table).to_have_count(2)

    # The admin records the decisions: accept A, decline B.
    admin.get_by_role("link", name=f"Decisions for {COHORT}").click()
    expect(heading(admin)).to_have_text("Decisions")
    check_page(admin, "decisions")
    for title, decision, note, name in (
        (TITLE_A, "Accept", "A clear plan and good data.", "a"),
        (TITLE_B, "Decline", "The panel found the evidence of promise too thin this round.", "b"),
    ):
        admin.get_by_role("link", name=f"Record a decision on {title}").click()
        expect(heading(admin)).to_have_text(f"Decision on “{title}”")
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
    admin.get_by_role("button", name=re.compile(r"^Release 2 decisions")).click()
    expect(heading(admin)).to_have_text("Decisions")
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("2 decisions released")
    check_page(admin, "decisions-released")

    (accepted,) = emails_to(lead_a.email, subject=f"PINE: your application to {COHORT} was successful")
    assert "A clear plan and good data." in accepted.body
    (declined,) = emails_to(lead_b.email, subject=f"PINE: your application to {COHORT} was not successful")
    assert "too thin this round" in declined.body
    assert not emails_to(lead_b.email, subject="was successful", timeout=0)
    application_a.refresh_from_db()
    application_b.refresh_from_db()
    assert (application_a.status, application_b.status) == (Application.Status.ACCEPTED, Application.Status.DECLINED)
    evaluation = Evaluation.objects.get(application=application_a)
    assert not Evaluation.objects.filter(application=application_b).exists()

    # 7. A's lead sees "Successful" and the new evaluation; B's lead sees "Not successful".
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
