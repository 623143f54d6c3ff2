"""The evaluation workspace in a real browser, every page checked with axe: onboarding (recording
the data sharing agreement), the theory of change and its diagram, the plan from draft to the
practice team's sign-off to a new version and the comparison, milestones and meetings."""

from datetime import date

from playwright.sync_api import expect

from tests.browser.steps import authenticator, fill_date, heading, sign_in, sign_in_practice
from tests.factories import PASSWORD


def test_the_evaluation_workspace(new_context, check_page, lead, partner, practice_admin, accepted, tmp_path):
    page = new_context().new_page()
    sign_in(page, lead.email, PASSWORD)
    page.goto(f"/p/{partner.slug}/evaluations/{accepted.code}/")
    page.get_by_role("link", name="Onboarding", exact=True).click()
    expect(heading(page)).to_have_text("Onboarding")
    expect(page.get_by_text("Record your signed data sharing agreement")).to_be_visible()
    check_page(page, "onboarding")

    agreement = tmp_path / "signed-dsa.pdf"
    agreement.write_bytes(b"%PDF-1.4 signed agreement")
    page.get_by_label("Signed data sharing agreement").set_input_files(str(agreement))
    fill_date(page, "Date signed", date(2026, 1, 5))
    fill_date(page, "Expiry date", date(2029, 1, 4))
    page.get_by_role("button", name="Save onboarding").click()
    expect(page.get_by_text("Recorded: signed-dsa.pdf")).to_be_visible()
    expect(page.get_by_text("Record your signed data sharing agreement")).to_have_count(0)
    expect(page.get_by_text("waiting for the practice team to check and verify it")).to_be_visible()

    page.goto(f"/p/{partner.slug}/evaluations/{accepted.code}/theory-of-change/")
    # The whole theory as text (the structured editor is walked in test_evaluation_walk).
    page.get_by_text("Write or change the whole theory of change as text").click()
    text = page.locator("details", has_text="Write or change the whole theory of change as text")
    text.get_by_label("Activities").fill("Offer a conference at the front door")
    text.get_by_label("Outputs").fill("Families make their own plan")
    text.get_by_label("Short-term outcomes").fill("Fewer re-referrals")
    text.get_by_label("Links").fill("AC1 -> OP1\nOP1 -> ST1")
    text.get_by_label("Measures of the outcomes").fill("ST1: re_referrals_12m")
    page.get_by_role("button", name="Save a new version").click()
    expect(page.get_by_text("Theory of change saved as version 1.")).to_be_visible()
    expect(page.locator(".pine-diagram svg line")).to_have_count(2)
    check_page(page, "theory-of-change")

    page.goto(f"/p/{partner.slug}/evaluations/{accepted.code}/plan/")
    check_page(page, "plan-empty")
    page.get_by_label("Research questions").fill("Do conferences reduce re-referrals?")
    page.get_by_label("Design").select_option("its")
    fill_date(page, "Intervention start date", date(2025, 4, 1))
    fill_date(page, "Baseline period starts", date(2023, 4, 1))
    fill_date(page, "Baseline period ends", date(2025, 3, 31))
    fill_date(page, "Follow-up period starts", date(2025, 4, 1))
    fill_date(page, "Follow-up period ends", date(2026, 3, 31))
    page.get_by_label("Re-referrals within 12 months", exact=True).select_option("decrease")
    page.get_by_label("Role of Re-referrals within 12 months").select_option("primary")
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_text("Plan saved.")).to_be_visible()
    check_page(page, "plan-draft")
    page.get_by_role("button", name="Submit version 1 for sign-off").click()

    device = authenticator(practice_admin)
    admin = new_context().new_page()
    sign_in_practice(admin, practice_admin, device)
    admin.goto(f"/practice/evaluations/{accepted.code}/")
    check_page(admin, "practice-evaluation")
    admin.get_by_label("Sign it off").check()
    admin.get_by_role("button", name="Send your decision on version 1").click()
    expect(admin.get_by_text("Version 1 of the plan is signed off.")).to_be_visible()

    page.goto(f"/p/{partner.slug}/evaluations/{accepted.code}/plan/")
    expect(page.get_by_text("It is locked.")).to_be_visible()
    check_page(page, "plan-signed-off")
    page.get_by_label("Why is the plan changing?").fill("A comparison area joined")
    page.get_by_role("button", name="Start a new version").click()
    page.get_by_label("Design").select_option("did")
    page.get_by_label("Comparison group (if any)").fill("Southbrook's front door")
    page.get_by_role("button", name="Save plan").click()
    page.get_by_role("link", name="Compare versions").click()
    expect(heading(page)).to_have_text("Version 1 and version 2 of the plan")
    expect(page.locator("tr", has_text="Design")).to_contain_text("Changed")
    check_page(page, "plan-compare")

    page.goto(f"/p/{partner.slug}/evaluations/{accepted.code}/milestones/")
    expect(page.locator("tr", has_text="Evaluation plan signed off")).to_contain_text("Done")
    check_page(page, "milestones")
    page.get_by_role("link", name="Log a meeting").click()
    check_page(page, "meeting-form")
    fill_date(page, "Date of the meeting", date(2026, 3, 2))
    page.get_by_label("Who attended").fill("Sam Patel, Priya Shah")
    page.get_by_role("button", name="Save meeting").click()
    expect(page.get_by_text("Meeting logged.")).to_be_visible()
