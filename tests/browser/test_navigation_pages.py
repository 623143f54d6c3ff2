"""Pages people move between, in a real browser with axe: breadcrumbs or back links, the service
status page, the members page with its actions, and, on a phone's width (390 px), wide tables that
scroll inside their own box instead of pushing the page sideways."""

from playwright.sync_api import expect

from tests import factories
from tests.browser.steps import heading, sign_in
from tests.factories import PASSWORD

NARROW = {"width": 390, "height": 844}


def test_the_service_status_page_is_in_words(new_context, check_page):
    page = new_context().new_page()
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Service status").click()
    expect(heading(page)).to_have_text("Service status")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Website and database")
    check_page(page, "status")


def test_members_breadcrumbs_and_narrow_tables(new_context, check_page, lead, contributor, partner):
    factories.EvaluationFactory(application__partner=partner)
    page = new_context().new_page()
    sign_in(page, lead.email, PASSWORD)
    page.goto(f"/p/{partner.slug}/members/")
    expect(page.locator(".govuk-breadcrumbs")).to_contain_text(partner.name)
    expect(page.get_by_text("What each role can do")).to_be_visible()
    page.get_by_label(f"Role of {contributor.full_name}").select_option("viewer")
    page.get_by_role("button", name=f"Change role of {contributor.full_name}").click()
    expect(page.get_by_text("Role changed.")).to_be_visible()
    check_page(page, "members")
    page.set_viewport_size(NARROW)
    for path in (f"/p/{partner.slug}/members/", f"/p/{partner.slug}/measures/", "/accounts/profile/"):
        page.goto(path)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= NARROW["width"], path
    page.goto(f"/p/{partner.slug}/members/")
    box = page.locator(".pine-table-scroll").first
    expect(box).to_have_attribute("tabindex", "0")
    check_page(page, "members-narrow")
    page.goto(f"/p/{partner.slug}/measures/")
    expect(page.locator(".govuk-breadcrumbs")).to_contain_text(partner.name)
    check_page(page, "measures-narrow")
