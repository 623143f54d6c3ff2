"""The evaluation workspace in a real browser, every page checked with axe: onboarding (recording
the data sharing agreement), the theory of change and its diagram, the plan from draft to the
practice team's sign-off to a new version and the comparison, milestones and meetings."""

from playwright.sync_api import expect

from tests.browser.steps import authenticator, heading, sign_in, sign_in_practice
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
    page.get_by_label("Date signed").fill("2026-01-05")
    page.get_by_label("Expiry date").fill("2029-01-04")
    page.get_by_role("button", name="Save data sharing agreement").click()
    expect(page.get_by_text("Recorded: signed-dsa.pdf")).to_be_visible()
    expect(page.get_by_text("Record your signed data sharing agreement")).to_have_count(0)

    page.goto(f"/p/{partner.slug}/evaluations/{accepted.code}/theory-of-change/")
    page.get_by_label("Activities").fill("Offer a conference at the front door")
    page.get_by_label("Outputs").fill("Families make their own plan")
    page.get_by_label("Short-term outcomes").fill("Fewer re-referrals")
    page.get_by_label("Links").fill("AC1 -> OP1\nOP1 -> ST1")
    page.get_by_label("Measures of the outcomes").fill("ST1: re_referrals_12m")
    page.get_by_role("button", name="Save a new version").click()
    expect(page.get_by_text("Theory of change saved as version 1.")).to_be_visible()
    expect(page.locator(".pine-diagram svg line")).to_have_count(2)
    check_page(page, "theory-of-change")

    page.goto(f"/p/{partner.slug}/evaluations/{accepted.code}/plan/")
    check_page(page, "plan-empty")
    page.get_by_label("Research questions").fill("Do conferences reduce re-referrals?")
    page.get_by_label("Design").select_option("its")
    page.get_by_label("Intervention start date").fill("2025-04-01")
    page.get_by_label("Baseline period starts").fill("2023-04-01")
    page.get_by_label("Baseline period ends").fill("2025-03-31")
    page.get_by_label("Follow-up period starts").fill("2025-04-01")
    page.get_by_label("Follow-up period ends").fill("2026-03-31")
    page.get_by_label("Re-referrals within 12 months", exact=True).select_option("decrease")
    page.get_by_label("Role of Re-referrals within 12 months").select_option("primary")
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_text("Plan saved.")).to_be_visible()
    check_page(page, "plan-draft")

    device = authenticator(practice_admin)
    admin = new_context().new_page()
    sign_in_practice(admin, practice_admin, device)
    admin.goto(f"/practice/evaluations/{accepted.code}/")
    check_page(admin, "practice-evaluation")
    admin.get_by_role("button", name="Sign off version 1").click()
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
    page.get_by_label("Date of the meeting").fill("2026-03-02")
    page.get_by_label("Who attended").fill("Sam Patel, Priya Shah")
    page.get_by_role("button", name="Save meeting").click()
    expect(page.get_by_text("Meeting logged.")).to_be_visible()
