"""The measure pages in a real browser, each checked with axe-core: a partner adds a local measure
(with an error first), the practice team browses and changes the library and promotes the local
measure; another partner's lead gets "Page not found" for it."""

from playwright.sync_api import expect

from tests import factories
from tests.browser.steps import authenticator, heading, sign_in, sign_in_practice, sign_out
from tests.factories import PASSWORD


def test_measure_pages(new_context, check_page, partner, lead, other_lead, other_partner, practice_admin):
    factories.EvaluationFactory(application__partner=partner)
    device = authenticator(practice_admin)

    page = new_context().new_page()
    sign_in(page, lead.email, PASSWORD)
    page.goto(f"/p/{partner.slug}/measures/")
    expect(heading(page)).to_have_text("Measures")
    check_page(page, "measures")
    page.get_by_role("button", name="Add a local measure").click()
    check_page(page, "add-form")
    page.get_by_label("Code").fill("cla_rate")
    page.get_by_label("Name").fill("Hours of family time")
    page.get_by_label("Definition").fill("Hours of supervised family time per child.")
    page.get_by_role("button", name="Add measure").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("A library measure already has this code")
    check_page(page, "add-error")
    page.get_by_label("Code").fill("family_time_hours")
    page.get_by_role("button", name="Add measure").click()
    expect(heading(page)).to_have_text("Hours of family time")
    check_page(page, "local-measure")
    sign_out(page)

    sign_in(page, other_lead.email, PASSWORD)
    page.goto(f"/p/{other_partner.slug}/measures/family_time_hours/")
    expect(heading(page)).to_have_text("Page not found")
    sign_out(page)

    sign_in_practice(page, practice_admin, device)
    page.goto("/practice/measures/")
    check_page(page, "library")
    page.goto("/practice/measures/cla_rate/edit/")
    check_page(page, "library-edit")
    page.get_by_label("Definition").fill("A sharper definition.")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_role("heading", name="Versions")).to_be_visible()
    check_page(page, "library-versions")
    page.goto("/practice/local-measures/")
    check_page(page, "local-measures")
    page.get_by_role("link", name="Promote").click()
    check_page(page, "promote")
    page.get_by_role("button", name="Promote into the library").click()
    expect(page.get_by_text("Promoted from")).to_be_visible()
    check_page(page, "promoted")
