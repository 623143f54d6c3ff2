"""Importing a statutory return in a real browser, each page checked with axe-core: the import
page (with the population form), a census imported as a dry run with its measures, a refused
census with its problems, a form error; another partner's lead gets "Page not found"."""

from playwright.sync_api import expect

from tests import factories
from tests.browser.steps import sign_in
from tests.factories import PASSWORD
from tests.returns.helpers import bad_census, small_census


def send(page, path, *, dry_run=False, annual=True):
    page.get_by_label("Upload the return").set_input_files(str(path))
    if annual:
        page.get_by_label("Annual (April to March)").check()
    if dry_run:
        page.get_by_label("Check only (dry run)").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Import the return").click()


def test_returns_pages(new_context, check_page, tmp_path, partner, lead, other_lead):
    evaluation = factories.EvaluationFactory(application__partner=partner)
    good, bad = tmp_path / "cin-2025.xml", tmp_path / "cin-broken.xml"
    good.write_bytes(small_census())
    bad.write_bytes(bad_census())

    page = new_context().new_page()
    sign_in(page, lead.email, PASSWORD)
    page.goto(f"/p/{partner.slug}/evaluations/{evaluation.code}/")
    page.get_by_role("link", name="import a statutory return").click()
    expect(page.get_by_role("heading", name="Import a statutory return")).to_be_visible()
    check_page(page, "returns-import")
    import_url = page.url

    page.get_by_label("Year of the ONS mid-year estimate").fill("2024")
    page.get_by_label("Children aged 0 to 17").fill("20000")
    page.get_by_role("button", name="Save the population").click()
    expect(page.get_by_text("The population was saved.")).to_be_visible()
    expect(page.get_by_text("Mid-2024")).to_be_visible()

    page.get_by_role("button", name="Import the return").click()  # no file chosen
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    check_page(page, "returns-import-error")

    page.goto(import_url)
    send(page, good, dry_run=True)
    expect(page.get_by_role("heading", name="Measures computed")).to_be_visible()
    expect(page.get_by_role("cell", name="cp_plans_rate")).to_be_visible()
    check_page(page, "returns-done")
    done_url = page.url
    page.get_by_role("link", name="see what they would change").click()
    expect(page.get_by_text("The file has no problems. Nothing was stored.")).to_be_visible()

    page.goto(import_url)
    send(page, bad)
    expect(page.get_by_role("heading", name="The return was not imported: nothing from it was stored")).to_be_visible()
    check_page(page, "returns-refused")

    other = new_context().new_page()
    sign_in(other, other_lead.email, PASSWORD)
    assert other.goto(done_url).status == 404
