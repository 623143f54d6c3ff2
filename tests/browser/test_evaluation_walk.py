"""One evaluation from acceptance to approved data, as its people click through it in a real
browser, with every page they see checked by axe-core (WCAG 2.2 A/AA).

The only data made behind the browser's back is the starting point: a partner with its lead, an
accepted evaluation with nothing recorded in its onboarding, and a practice admin with an
authenticator app. Then:

the lead sees that uploads are blocked and why; completes onboarding (the signed data sharing
agreement with its dates, the DPIA, ethics approval, the data lead and sponsor); writes a theory of
change and sees its diagram; writes the evaluation plan; the practice admin signs the plan off; the
lead downloads the CSV and Excel templates, uploads a file with mistakes, reads the problems on the
page and in the problems CSV, fixes the file and uploads it again; a later month's unusual value
waits for the lead's explanation; the practice admin approves a period, and the lead sees it
approved and locked (a correction to it is refused); the lead builds a report and downloads it as
HTML and PDF. Another partner's lead gets "Page not found".
"""

import csv
import io
import re
from datetime import date, timedelta

import openpyxl
from django.utils import timezone
from playwright.sync_api import expect

from outcomes import selectors as outcome_selectors
from tests import factories
from tests.browser.steps import (
    authenticator,
    download,
    fill_date,
    heading,
    sign_in,
    sign_in_practice,
    upload,
)
from tests.factories import PASSWORD

TITLE = "Family group conferences at the front door"
REPORT_TIMEOUT_MS = 90_000  # the report is built (eager Celery) before the redirect to its page
HEADER = ["measure", "period_start", "period_end", "group", "value", "numerator", "denominator"]
EXAMPLE_ROW = ["re_referrals_12m", "01/04/2025", "30/04/2025", "intervention", "22.5", "45", "200"]

# The lead's first file: a misspelt measure code (row 3), a group that does not exist (row 4) and a
# value in words (row 5). Row 2 is fine, but a file with any problem stores nothing.
FILE_WITH_MISTAKES = """measure,period_start,period_end,group,value,numerator,denominator
re_referrals_12m,01/04/2025,30/04/2025,intervention,20,40,200
re_referals_12m,01/05/2025,31/05/2025,intervention,22,44,200
re_referrals_12m,01/06/2025,30/06/2025,treatment,21,42,200
re_referrals_12m,01/07/2025,31/07/2025,intervention,twenty,,
"""
FIXED_FILE = """measure,period_start,period_end,group,value,numerator,denominator
re_referrals_12m,01/04/2025,30/04/2025,intervention,20,40,200
re_referrals_12m,01/05/2025,31/05/2025,intervention,22,44,200
re_referrals_12m,01/06/2025,30/06/2025,intervention,21,42,200
re_referrals_12m,01/07/2025,31/07/2025,intervention,23,46,200
"""
# August's value is less than a fifth of July's: a warning the lead must explain.
AUGUST = """measure,period_start,period_end,group,value,numerator,denominator
re_referrals_12m,01/08/2025,31/08/2025,intervention,3,6,200
"""
APRIL_CORRECTION = """measure,period_start,period_end,group,value,numerator,denominator
re_referrals_12m,01/04/2025,30/04/2025,intervention,19,38,200
"""
EXPECTED_PROBLEMS = [
    [
        "3",
        "measure",
        "re_referals_12m",
        "Unknown measure code. Did you mean re_referrals_12m? Use a code from the list on the evaluation page "
        "(or the data dictionary).",
    ],
    ["4", "group", "treatment", "Use one of: intervention, comparison, all."],
    ["5", "value", "twenty", "Not a number. Give a number such as 12 or 22.5, without units or words."],
]


def test_an_evaluation_from_onboarding_to_approved_data(
    new_context, check_page, tmp_path, partner, lead, other_lead, practice_admin
):
    evaluation = factories.EvaluationFactory(
        application__partner=partner,
        application__practice_title=TITLE,
        application__outcome_measures=["re_referrals_12m"],
        onboarding=None,
    )
    device = authenticator(practice_admin)
    today = timezone.localdate()

    # 1. The lead signs in and opens the evaluation: no upload form, and the reason why.
    lead_page = new_context().new_page()
    lead_page.goto("/accounts/login/", timeout=90_000)  # the live server's first page, on a busy machine
    sign_in(lead_page, lead.email, PASSWORD)
    expect(heading(lead_page)).to_have_text(partner.name)
    lead_page.get_by_role("link", name=TITLE).first.click()
    expect(heading(lead_page)).to_have_text(TITLE)
    expect(lead_page.locator(".govuk-warning-text")).to_contain_text(
        "Record your signed data sharing agreement in onboarding before you upload data: no data can be sent without one."
    )
    expect(lead_page.get_by_role("button", name="Upload file")).to_have_count(0)
    check_page(lead_page, "evaluation-blocked")

    # 2. Onboarding, one form: a save with the agreement's dates but no file says what is missing
    # and keeps what was typed elsewhere.
    lead_page.get_by_role("link", name="Go to onboarding").click()
    expect(heading(lead_page)).to_have_text("Onboarding")
    expect(lead_page.locator(".govuk-task-list__status")).to_have_text(["Incomplete"] * 4)
    check_page(lead_page, "onboarding")
    fill_date(lead_page, "Date signed", today - timedelta(days=20))
    fill_date(lead_page, "Expiry date", today + timedelta(days=3 * 365))
    lead_page.get_by_label("Data lead's name").fill("Priya Shah")
    lead_page.get_by_role("button", name="Save onboarding").click()
    expect(lead_page).to_have_title(re.compile(r"^Error: Onboarding"))
    expect(lead_page.locator(".govuk-error-summary")).to_contain_text("Choose the signed agreement to upload")
    expect(lead_page.get_by_label("Data lead's name")).to_have_value("Priya Shah")
    check_page(lead_page, "onboarding-error")

    # A text file named .pdf is refused by its content.
    fake = tmp_path / "agreement.pdf"
    fake.write_bytes(b"Not a PDF at all")
    lead_page.get_by_label("Signed data sharing agreement").set_input_files(str(fake))
    lead_page.get_by_role("button", name="Save onboarding").click()
    expect(lead_page.locator(".govuk-error-summary")).to_contain_text("The file must be a PDF or a Word (.docx) document")

    agreement = tmp_path / "signed-data-sharing-agreement.pdf"
    agreement.write_bytes(b"%PDF-1.4 signed by both parties")
    lead_page.get_by_label("Signed data sharing agreement").set_input_files(str(agreement))
    fill_date(lead_page, "Date the DPIA was completed", today - timedelta(days=40))
    lead_page.get_by_role("group", name="Does the evaluation need ethics").get_by_label("Yes", exact=True).check()
    fill_date(lead_page, "Date approved (if approved)", today - timedelta(days=10))
    lead_page.get_by_label("Approved by (if approved)").fill("Northshire Research Governance Board")
    lead_page.get_by_label("Data lead's email address").fill("priya.shah@northshire.example")
    lead_page.get_by_label("Senior sponsor's name").fill("Jo Smith")
    lead_page.get_by_label("Senior sponsor's role").fill("Director of Children's Services")
    lead_page.get_by_role("button", name="Save onboarding").click()
    expect(lead_page.get_by_text("Onboarding saved.")).to_be_visible()
    expect(lead_page.get_by_text("Recorded: signed-data-sharing-agreement.pdf")).to_be_visible()
    # Everything but the agreement is complete: it waits for the practice team to verify it.
    statuses = ["Waiting for the practice team to verify it", "Completed", "Completed", "Completed"]
    expect(lead_page.locator(".govuk-task-list__status")).to_have_text(statuses)
    expect(lead_page.locator(".govuk-warning-text")).to_contain_text("waiting for the practice team")
    check_page(lead_page, "onboarding-waiting")

    # 2b. The practice admin is told: from the notification, they open the agreement, see its
    # dates and verify it.
    admin = new_context().new_page()
    sign_in_practice(admin, practice_admin, device)
    admin.locator("#nav-notifications").click()
    expect(heading(admin)).to_have_text("Notifications")
    check_page(admin, "practice-notifications")
    admin.get_by_role("link", name=f"A data sharing agreement from {partner.name} is waiting to be verified").click()
    expect(heading(admin)).to_have_text("Data sharing agreement")
    expect(admin.locator("main")).to_contain_text("signed-data-sharing-agreement.pdf")
    expect(admin.locator(".govuk-summary-list")).to_contain_text("Not verified")
    check_page(admin, "practice-agreement")
    admin.get_by_role("button", name="Mark the agreement as verified").click()
    expect(admin.get_by_text("The data sharing agreement is verified.")).to_be_visible()
    lead_page.reload()
    expect(lead_page.locator(".govuk-task-list__status")).to_have_text(["Completed"] * 4)
    expect(lead_page.locator(".govuk-warning-text")).to_have_count(0)
    check_page(lead_page, "onboarding-complete")

    # 3. The evaluation page now offers the upload form. The lead builds the theory of change one
    # element at a time, picking its links from lists.
    lead_page.get_by_role("link", name=TITLE).click()
    expect(lead_page.locator(".govuk-warning-text")).to_have_count(0)
    expect(lead_page.get_by_role("button", name="Upload file")).to_be_visible()
    lead_page.get_by_role("link", name="Theory of change").click()
    expect(heading(lead_page)).to_have_text("Theory of change")
    check_page(lead_page, "theory-empty")
    for kind, text, comes_from, measure in [
        ("Inputs", "Two trained conference coordinators", None, None),
        ("Activities", "Offer a family group conference at the front door", "IN1", None),
        ("Outputs", "Families make their own plan", "AC1", None),
        ("Short-term outcomes", "Fewer re-referrals within a year", "OP1", "Re-referrals within 12 months"),
        ("Long-term outcomes", "Children stay safely at home", "ST1", None),
    ]:
        add = lead_page.locator("form", has=lead_page.get_by_role("button", name="Add the element"))
        add.get_by_role("group", name="What kind of element is it?").get_by_label(kind, exact=True).check()
        add.get_by_label("Describe it").fill(text)
        if comes_from:
            add.get_by_role("group", name="What leads to it?").get_by_label(comes_from, exact=False).first.check()
        if measure:
            add.get_by_role("group", name="Measures of this outcome").get_by_label(measure, exact=True).check()
        add.get_by_role("button", name="Add the element").click()
        expect(lead_page.get_by_text("Element added.")).to_be_visible()
    diagram = lead_page.locator(".pine-diagram svg")
    expect(diagram.locator("line")).to_have_count(4)
    expect(diagram).to_contain_text("measure: Re-referrals")
    check_page(lead_page, "theory")
    lead_page.get_by_role("link", name="Change OP1").click()
    expect(heading(lead_page)).to_have_text("Change OP1")
    check_page(lead_page, "theory-element")
    lead_page.get_by_role("link", name="Cancel").click()

    # 4. ... and the evaluation plan, which starts from the measure chosen in the application.
    lead_page.get_by_role("link", name=TITLE).click()
    lead_page.get_by_role("link", name="Evaluation plan").click()
    expect(heading(lead_page)).to_have_text("Evaluation plan")
    expect(lead_page.get_by_label("Re-referrals within 12 months", exact=True)).to_have_value("decrease")
    check_page(lead_page, "plan-empty")
    lead_page.get_by_label("Research questions").fill("Do family group conferences at the front door reduce re-referrals?")
    lead_page.get_by_label("Design").select_option("its")
    fill_date(lead_page, "Intervention start date", date(2025, 4, 1))
    fill_date(lead_page, "Baseline period starts", date(2023, 4, 1))
    fill_date(lead_page, "Baseline period ends", date(2025, 3, 31))
    fill_date(lead_page, "Follow-up period starts", date(2025, 4, 1))
    fill_date(lead_page, "Follow-up period ends", date(2026, 3, 31))
    lead_page.get_by_role("button", name="Save plan").click()
    expect(lead_page.get_by_text("Plan saved.")).to_be_visible()
    check_page(lead_page, "plan-draft")
    lead_page.get_by_role("button", name="Submit version 1 for sign-off").click()
    expect(lead_page.get_by_text("Plan saved and submitted to the practice team for sign-off.")).to_be_visible()
    check_page(lead_page, "plan-submitted")

    # 5. The plan waits in the practice team's work queue. The practice admin asks for a change,
    # with a comment; the lead, told, resubmits; it is signed off.
    admin.get_by_role("navigation", name="Menu").get_by_role("link", name="Work queue").click()
    expect(heading(admin)).to_have_text("Work queue")
    check_page(admin, "practice-work-queue")
    plans = admin.get_by_role("region", name="Plans awaiting sign-off")
    plans.get_by_role("link", name=re.compile(r"^Read it, then sign off or ask for changes")).click()
    expect(heading(admin)).to_have_text(TITLE)
    expect(admin.locator(".govuk-summary-list").first).not_to_contain_text("Incomplete")
    check_page(admin, "practice-evaluation")
    admin.get_by_label("Ask the partner for changes").check()
    admin.get_by_label("Comments").fill("Say why April 2025 is the start of the follow-up.")
    admin.get_by_role("button", name="Send your decision on version 1").click()
    expect(admin.get_by_text("Changes requested.")).to_be_visible()
    lead_page.locator("#nav-notifications").click()
    lead_page.get_by_role("link", name=f'Changes requested to your evaluation plan for "{TITLE}"').click()
    expect(heading(lead_page)).to_have_text("Evaluation plan")
    expect(lead_page.locator("#changes-requested")).to_contain_text("Say why April 2025 is the start of the follow-up.")
    check_page(lead_page, "plan-changes-requested")
    answer = "Do family group conferences at the front door, started in April 2025, reduce re-referrals?"
    lead_page.get_by_label("Research questions").fill(answer)
    lead_page.get_by_role("button", name="Submit version 1 for sign-off").click()  # saves the edit, then submits
    expect(lead_page.get_by_text("Plan saved and submitted to the practice team for sign-off.")).to_be_visible()
    expect(lead_page.get_by_label("Research questions")).to_have_value(answer)
    admin.reload()
    admin.get_by_label("Sign it off").check()
    admin.get_by_role("button", name="Send your decision on version 1").click()
    expect(admin.get_by_text("Version 1 of the plan is signed off.")).to_be_visible()
    check_page(admin, "practice-plan-signed-off")

    lead_page.reload()
    expect(lead_page.get_by_text("It is locked.")).to_be_visible()
    check_page(lead_page, "plan-signed-off")
    lead_page.get_by_role("link", name=re.compile("notifications", re.I)).first.click()
    expect(lead_page.get_by_text("is signed off").first).to_be_visible()
    check_page(lead_page, "notifications")
    lead_page.go_back()

    # 6. The lead downloads the templates: the columns, an example that is never read as data, and
    # the plan's measures x groups x ended periods with empty values.
    lead_page.get_by_role("link", name="Back to the evaluation").click()
    check_page(lead_page, "evaluation-ready")
    name, content = download(lead_page, lead_page.get_by_role("link", name="CSV", exact=True))
    assert name == "pine-outcome-template.csv"
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == HEADER and rows[1][0].startswith("# Example") and rows[1][1:] == EXAMPLE_ROW[1:]
    assert rows[2] == ["re_referrals_12m", "01/04/2023", "30/04/2023", "intervention", "", "", ""]
    assert len(rows) == 2 + 36  # the plan: one measure, an interrupted time series, April 2023 to March 2026
    name, content = download(lead_page, lead_page.get_by_role("link", name="Excel", exact=True))
    assert name == "pine-outcome-template.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    assert book.sheetnames[:2] == ["Data", "Example (not read)"]
    data = [list(row) for row in book["Data"].iter_rows(values_only=True)]
    assert data == [HEADER, *[[*r[:4], None, None, None] for r in rows[2:]]]
    assert [list(row) for row in book["Example (not read)"].iter_rows(values_only=True)] == [HEADER, EXAMPLE_ROW]
    name, content = download(lead_page, lead_page.get_by_role("link", name="data dictionary (CSV)"))
    dictionary = {row["measure"]: row for row in csv.DictReader(io.StringIO(content.decode("utf-8-sig")))}
    assert dictionary["re_referrals_12m"]["date_format"] == "DD/MM/YYYY (or YYYY-MM-DD)"

    # 7. A file with mistakes: nothing stored; each problem by row, column, value and reason.
    upload(lead_page, tmp_path, "outcomes-april-to-july.csv", FILE_WITH_MISTAKES)
    expect(lead_page).to_have_title(re.compile(r"^Error: "))
    expect(lead_page.locator(".govuk-error-summary")).to_contain_text("The file was not accepted: nothing from it was stored")
    expect(lead_page.locator(".govuk-error-summary")).to_contain_text("Fix the 3 problems below")
    rows = lead_page.get_by_role("table", name="Problems").locator("tbody tr")
    expect(rows).to_have_count(3)
    for number, expected in enumerate(EXPECTED_PROBLEMS):
        expect(rows.nth(number).locator("td")).to_have_text(expected)
    check_page(lead_page, "upload-rejected")
    name, content = download(lead_page, lead_page.get_by_role("link", name="Download the problems as a CSV file"))
    assert re.fullmatch(r"problems-[0-9a-f-]{36}\.csv", name), name
    assert list(csv.reader(io.StringIO(content.decode("utf-8")))) == [["row", "column", "value", "reason"], *EXPECTED_PROBLEMS]

    # 8. The fixed file is accepted.
    lead_page.get_by_role("link", name="Back to the evaluation").click()
    expect(lead_page.get_by_role("table", name="Recent uploads")).to_contain_text("Rejected")
    upload(lead_page, tmp_path, "outcomes-april-to-july.csv", FIXED_FILE)
    expect(lead_page.locator(".govuk-panel")).to_contain_text("File accepted")
    expect(lead_page.locator(".govuk-panel")).to_contain_text("4 rows stored")
    expect(lead_page.get_by_text("4 new, 0 changed, 0 unchanged.")).to_be_visible()
    check_page(lead_page, "upload-accepted")

    # 9. August's value is unusual: stored only once the lead explains it.
    lead_page.get_by_role("link", name="Back to the evaluation").click()
    upload(lead_page, tmp_path, "outcomes-august.csv", AUGUST)
    expect(lead_page.locator(".govuk-warning-text")).to_contain_text("Nothing is stored until you explain it.")
    warning = lead_page.get_by_role("table", name="Values to explain").locator("tbody tr")
    expect(warning.locator("td")).to_have_text(
        [
            "2",
            "Re-referrals within 12 months re_referrals_12m",
            "intervention",
            "1 August 2025",
            "3.0%",
            "3 is very different from 23 in the previous period (01/07/2025, stored).",
        ]
    )
    check_page(lead_page, "needs-explanation")
    lead_page.get_by_role("button", name="Explain and store the values").click()
    expect(lead_page.locator(".govuk-error-summary")).to_contain_text("Explain why these values are so different")
    check_page(lead_page, "explanation-error")
    lead_page.get_by_label("Explain these values").fill("The new front door diverted most repeat contacts in August.")
    lead_page.get_by_role("button", name="Explain and store the values").click()
    expect(lead_page.locator(".govuk-panel")).to_contain_text("File accepted")
    expect(lead_page.get_by_text("The new front door diverted most repeat contacts in August.")).to_be_visible()
    check_page(lead_page, "explained-and-accepted")
    lead_page.get_by_role("link", name="Back to the evaluation").click()
    expect(lead_page.get_by_text("5 values stored.")).to_be_visible()

    # 10. The practice admin approves April, which locks it.
    admin.get_by_role("link", name="Approve outcome data").click()
    expect(heading(admin)).to_have_text(f"Approve outcome data: {TITLE}")
    expect(admin.locator("input[name=period_starts]")).to_have_count(5)  # one checkbox a period
    check_page(admin, "practice-periods")
    admin.get_by_label("1 Apr 2025 to 30 Apr 2025").check()
    admin.get_by_role("button", name="Approve selected periods").click()
    expect(admin.get_by_text("1 period approved and locked.")).to_be_visible()
    expect(admin.locator("input[name=period_starts]")).to_have_count(4)  # April is approved, no longer to choose
    check_page(admin, "practice-period-approved")

    # 11. The lead sees April approved, and a correction to it is refused.
    lead_page.reload()
    lead_page.get_by_text("Periods of data (5)").click()
    periods = lead_page.get_by_role("table", name="Stored periods and whether the practice team has approved them")
    expect(periods.locator("tbody tr").first).to_contain_text("1 Apr 2025 to 30 Apr 2025")
    expect(periods.locator("tbody tr td:last-child")).to_have_text(["Approved"] + ["Unapproved"] * 4)
    check_page(lead_page, "evaluation-approved")
    upload(lead_page, tmp_path, "april-correction.csv", APRIL_CORRECTION)
    expect(lead_page.locator(".govuk-error-summary")).to_contain_text("The file was not accepted")
    problem = lead_page.get_by_role("table", name="Problems").locator("tbody tr td")
    expect(problem).to_have_text(
        ["2", "period_start", "01/04/2025", re.compile(r"^The practice team approved this period's data on ")]
    )
    check_page(lead_page, "upload-locked-period")

    assert outcome_selectors.approved_periods(partner=partner, evaluation=evaluation) == {date(2025, 4, 1)}
    assert outcome_selectors.outcome_value_count(partner=partner, evaluation=evaluation) == 5

    # 12. The lead builds a report (eager Celery: built by the time its page loads) and downloads
    # it as HTML and as PDF.
    lead_page.get_by_role("link", name="Back to the evaluation").click()
    expect(heading(lead_page)).to_have_text(TITLE)
    lead_page.get_by_role("button", name="Build a report").click(timeout=REPORT_TIMEOUT_MS)
    expect(heading(lead_page)).to_have_text("Evaluation report", timeout=REPORT_TIMEOUT_MS)
    progress = lead_page.locator("#report-progress")
    expect(progress.get_by_role("heading", name="Your report is ready")).to_be_visible(timeout=REPORT_TIMEOUT_MS)
    check_page(lead_page, "report-ready")
    name, html = download(lead_page, lead_page.get_by_role("link", name=re.compile(r"Download the report \(HTML")))
    assert name.endswith(".html") and TITLE in html.decode() and partner.name in html.decode()
    name, pdf = download(lead_page, lead_page.get_by_role("link", name="Download the report (PDF)"))
    assert name.endswith(".pdf") and pdf.startswith(b"%PDF"), pdf[:20]

    # 13. Another partner's lead: "Page not found" for the evaluation, its upload and its templates.
    other = new_context().new_page()
    sign_in(other, other_lead.email, PASSWORD)
    submission_url = lead_page.url
    for url in (
        f"/p/{partner.slug}/evaluations/{evaluation.code}/",
        f"/p/{partner.slug}/evaluations/{evaluation.code}/onboarding/",
        f"/p/{partner.slug}/evaluations/{evaluation.code}/outcome-data/template.csv",
        submission_url,
    ):
        response = other.goto(url)
        assert response.status == 404, url
        expect(heading(other)).to_have_text("Page not found")
        expect(other.locator("main")).not_to_contain_text(TITLE)
