"""Importing a statutory return in a real browser, each page checked with axe-core: the import
page (with the population form), a census imported as a dry run with its measures, a refused
census with its problems, a form error; another partner's lead gets "Page not found"."""

from datetime import date

from playwright.sync_api import expect

from tests import factories
from tests.browser.steps import fill_date, sign_in
from tests.factories import PASSWORD
from tests.returns.helpers import bad_census, small_census

# Under test Celery runs eagerly: an import runs the worker's whole job inside the request, which
# on a busy machine takes longer than the browser tests' usual 15 seconds.
IMPORT_TIMEOUT_MS = 90_000


def importer_page(new_context):
    page = new_context().new_page()
    page.set_default_timeout(IMPORT_TIMEOUT_MS)
    page.set_default_navigation_timeout(IMPORT_TIMEOUT_MS)
    return page


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

    page = importer_page(new_context)
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


def send_return(page, path, *, kind_label=None, dry_run=False):
    """The import form for a return without collection years of its own: one annual period, 2023-24."""
    page.get_by_label("Upload the return").set_input_files(str(path))
    if kind_label:
        page.get_by_label(kind_label).check()
    page.get_by_label("Annual (April to March)").check()
    fill_date(page, "From (optional)", date(2023, 4, 1))
    fill_date(page, "To (optional)", date(2024, 3, 31))
    if dry_run:
        page.get_by_label("Check only (dry run)").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Import the return").click()


def test_an_ssda903_zip_and_an_annex_a_workbook_go_through_the_page(new_context, check_page, tmp_path, partner, lead,
                                                                     other_lead):  # fmt: skip
    """Each return as a dry run (its measures named, at their precision), then stored from the
    outcome upload's page without sending it again; the stored values are the hand-worked ones."""
    from outcomes.models import OutcomeValue
    from returns.annex_a.synthetic import workbook
    from returns.ssda903.synthetic import scenario
    from tests.conftest import in_scope_of

    evaluation = factories.EvaluationFactory(application__partner=partner)
    zipped, annex = tmp_path / "ssda903-2024.zip", tmp_path / "annex-a.xlsx"
    zipped.write_bytes(scenario().zip_bytes())
    annex.write_bytes(workbook(messy=True))

    page = importer_page(new_context)
    sign_in(page, lead.email, PASSWORD)
    page.goto(f"/p/{partner.slug}/evaluations/{evaluation.code}/")
    page.get_by_role("link", name="import a statutory return").click()
    import_url = page.url

    for path, kind, measure, figure, stored_code, stored in (
        (zipped, "ssda903", "Re-entries to care within 12 months", "25.0%", "re_entries_12m", (1, 4)),
        (annex, "annex_a", "Referrals ending in no further action", None, "referrals_nfa", None),
    ):
        page.goto(import_url)
        send_return(page, path, dry_run=True)
        expect(page.get_by_role("heading", name="Measures computed")).to_be_visible()
        expect(page.get_by_role("cell", name=measure).first).to_be_visible()
        if figure:
            expect(page.get_by_role("cell", name=figure, exact=True).first).to_be_visible()
        assert "33.3333" not in page.content()
        check_page(page, f"returns-{kind}-dry-run")
        done_url = page.url
        page.get_by_role("link", name="see what they would change").click()
        expect(page.get_by_text("The file has no problems. Nothing was stored.")).to_be_visible()
        check_page(page, f"returns-{kind}-checked")
        page.get_by_role("button", name="Store this file").click()
        expect(page.get_by_role("heading", name="File accepted")).to_be_visible()
        check_page(page, f"returns-{kind}-stored")
        with in_scope_of(partner):
            values = OutcomeValue.objects.filter(measure__code=stored_code, group="all", superseded_by__isnull=True)
            assert values.exists()
            if stored:
                assert (values.get().numerator, values.get().denominator) == stored

        other = new_context().new_page()
        sign_in(other, other_lead.email, PASSWORD)
        assert other.goto(done_url).status == 404
