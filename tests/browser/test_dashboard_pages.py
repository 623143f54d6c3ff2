"""The dashboards in a real browser, each checked with axe-core, on a desktop and on a 390 px wide
screen (where wide tables scroll inside their container, never the page): the programme dashboard,
a cohort's dashboard and a partner's hub."""

from playwright.sync_api import expect

from reports.dashboards import services
from tests import factories
from tests.browser.conftest import assert_no_axe_violations, save_screenshot
from tests.browser.steps import authenticator, heading, sign_in, sign_in_practice
from tests.factories import PASSWORD
from tests.reports.dashboard_helpers import evaluation_with_data

NARROW = {"width": 390, "height": 844}


def _fits_the_screen(page) -> None:
    """Nothing makes the page itself scroll sideways (tables scroll in their own container)."""
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .filter(e => !e.closest('.pine-table-scroll') || e.classList.contains('pine-table-scroll'))
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().right))"""
    )
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen: {wide}"


def test_dashboard_pages(new_context, check_page, partner, lead, practice_admin):
    cohort = factories.CohortFactory(name="Family help 2025", slug="family-help-2025")
    own = evaluation_with_data(partner=partner, cohort=cohort, months=24, title="Family group conferences")
    for n in range(3):
        other = factories.PartnerFactory(name=f"Council {n}", slug=f"council-{n}")
        services.figures_refresh_now(evaluation=evaluation_with_data(partner=other, cohort=cohort, months=20 + n))
    services.figures_refresh_now(evaluation=own)
    device = authenticator(practice_admin)

    admin = new_context().new_page()
    sign_in_practice(admin, practice_admin, device)
    admin.goto("/practice/")
    expect(heading(admin)).to_have_text("Practice team")
    expect(admin.get_by_role("heading", name="Programme dashboard")).to_be_visible()
    check_page(admin, "programme-dashboard")
    admin.get_by_label("Status").select_option("at_risk")
    admin.get_by_role("button", name="Apply").click()
    expect(admin.get_by_text("4 evaluations match the filters")).to_be_visible()
    check_page(admin, "programme-dashboard-filtered")
    admin.locator(f"a[href='/practice/cohorts/{cohort.slug}/dashboard/']").click()
    expect(heading(admin)).to_have_text("Cohort dashboard")
    expect(admin.locator("#funnel-title")).to_have_count(1)
    check_page(admin, "cohort-dashboard")
    _fits_the_screen(admin)
    with admin.expect_download() as download:
        admin.get_by_role("link", name="chart (PNG)").click()
    assert download.value.suggested_filename.endswith(".png")

    narrow = new_context().new_page()
    narrow.set_viewport_size(NARROW)
    sign_in_practice(narrow, practice_admin, device)
    for url, name in (
        ("/practice/", "programme-dashboard-390"),
        (f"/practice/cohorts/{cohort.slug}/dashboard/", "cohort-dashboard-390"),
    ):
        narrow.goto(url)
        _fits_the_screen(narrow)
        save_screenshot(narrow, f"dashboard_pages-{name}")
        assert_no_axe_violations(narrow, name)

    lead_page = new_context().new_page()
    sign_in(lead_page, lead.email, PASSWORD)
    hub = f"/p/{partner.slug}/evaluations/{own.code}/"
    lead_page.goto(hub)
    expect(lead_page.get_by_text("Next thing to do: Outcome data")).to_be_visible()
    expect(lead_page.get_by_role("heading", name="Your data")).to_be_visible()
    check_page(lead_page, "partner-hub")
    lead_page.set_viewport_size(NARROW)
    lead_page.reload()
    _fits_the_screen(lead_page)
    save_screenshot(lead_page, "dashboard_pages-partner-hub-390")
    assert_no_axe_violations(lead_page, "partner-hub-390")
