"""The outcome data pages in a real browser (Chromium via Playwright), each checked with axe-core:
upload with progress, the result pages (accepted with what changed, a dry run, unusual values
waiting for an explanation, problems) and the practice team's approval page.

The browser runs in a thread of its own: Playwright's sync API allows one instance per thread, and
``tests/browser``'s session-wide browser may still be open in the main thread.
"""

import os
import re
import threading
from datetime import date

import pytest
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect, sync_playwright

from outcomes import selectors
from tests import factories
from tests.browser.conftest import (
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    assert_no_axe_violations,
    chromium_path,
    save_screenshot,
    sign_in,
    totp_code,
)
from tests.browser.test_slice import TOTP_KEY, ensure_measure_library
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "measure,period_start,period_end,group,value,numerator,denominator\n"
APRIL = "re_referrals_12m,01/04/2025,30/04/2025,intervention,20,40,200\n"
MAY = "re_referrals_12m,01/05/2025,31/05/2025,intervention,22,44,200\n"


def check_page(page, name: str) -> None:
    page.wait_for_load_state("load")
    save_screenshot(page, f"outcome_pages-{name}")
    assert_no_axe_violations(page, name)


def upload(page, tmp_path, name, text, *, dry_run=False):
    path = tmp_path / name
    path.write_text(text)
    page.get_by_label("Upload a CSV file or an Excel workbook (.xlsx)").set_input_files(str(path))
    if dry_run:
        page.get_by_label("Check only (dry run)").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Upload file").click()
    page.wait_for_load_state("load")


def test_outcome_pages_in_a_browser(live_server, tmp_path, partner, lead, other_lead, practice_admin):
    path = chromium_path()
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("No Chromium (CI=true: browser tests must not be skipped in CI)")
        pytest.skip("No Chromium: set CHROMIUM_PATH")
    ensure_measure_library()
    evaluation = factories.EvaluationFactory(application__partner=partner)
    # An upload being checked shows its progress bar (the page polls it with htmx).
    queued = factories.SubmissionFactory(
        evaluation=evaluation, uploaded_by=lead, status="running", progress=40, stage="Checking the values"
    )
    device = TOTPDevice.objects.create(user=practice_admin, name="Authenticator app", key=TOTP_KEY, confirmed=True)
    failures = []

    def drive():
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
                try:
                    steps(browser)
                finally:
                    browser.close()
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            failures.append(error)
        finally:
            connection.close()

    def new_page():
        context = browser_ref[0].new_context(
            base_url=live_server.url, bypass_csp=True, locale="en-GB", timezone_id="Europe/London"
        )
        context.set_default_timeout(TIMEOUT_MS)
        return context.new_page()

    browser_ref = []

    def steps(browser):
        browser_ref.append(browser)
        page = new_page()
        sign_in(page, lead.email, PASSWORD)
        evaluation_url = f"/p/{partner.slug}/evaluations/{evaluation.code}/"
        page.goto(evaluation_url)
        check_page(page, "evaluation")
        upload(page, tmp_path, "april.csv", HEADER + APRIL + MAY)
        expect(page.get_by_role("heading", name="File accepted")).to_be_visible()
        expect(page.get_by_text("2 new, 0 changed, 0 unchanged.")).to_be_visible()
        check_page(page, "accepted")

        page.goto(evaluation_url)
        upload(page, tmp_path, "dry.csv", HEADER + APRIL.replace(",20,40,", ",21,42,") + MAY, dry_run=True)
        expect(page.get_by_text("The file has no problems. Nothing was stored.")).to_be_visible()
        expect(page.get_by_text("0 new, 1 changed, 1 unchanged.")).to_be_visible()
        check_page(page, "dry-run")

        page.goto(evaluation_url)
        upload(page, tmp_path, "june.csv", HEADER + "re_referrals_12m,01/06/2025,30/06/2025,intervention,2,,\n")
        expect(page.get_by_role("caption").filter(has_text="Unusual values")).to_be_visible()
        check_page(page, "needs-explanation")
        page.get_by_role("button", name="Explain and store the values").click()
        expect(page.locator(".govuk-error-summary")).to_be_visible()
        check_page(page, "explanation-error")
        page.get_by_label("Explain these values").fill("A new referral route opened in June.")
        page.get_by_role("button", name="Explain and store the values").click()
        expect(page.get_by_role("heading", name="File accepted")).to_be_visible()
        check_page(page, "explained")

        page.goto(evaluation_url)
        upload(page, tmp_path, "bad.csv", HEADER + "nope,01/07/2025,31/07/2025,all,1,,\n")
        expect(page.get_by_text("Unknown measure code")).to_be_visible()
        check_page(page, "problems")

        page.goto(evaluation_url)
        page.get_by_text("Periods of data (3)").click()
        check_page(page, "evaluation-with-periods")

        page.goto(f"/p/{partner.slug}/submissions/{queued.code}/")
        expect(page.get_by_label(re.compile("Checking the values: 40%"))).to_be_visible()
        check_page(page, "queued")

        # Another partner's lead: the same "Page not found" as for a missing page.
        other = new_page()
        sign_in(other, other_lead.email, PASSWORD)
        response = other.goto(f"/p/{partner.slug}/submissions/{queued.code}/")
        assert response.status == 404

        # The practice team approves a period.
        admin = new_page()
        sign_in(admin, practice_admin.email, PASSWORD)
        admin.get_by_label("Code from your authenticator app").fill(totp_code(device))
        admin.get_by_role("button", name="Continue").click()
        admin.wait_for_load_state("load")
        admin.goto(f"/practice/evaluations/{evaluation.code}/outcome-periods/")
        check_page(admin, "practice-periods")
        admin.get_by_role("button", name="Approve 1 Apr 2025").click()
        expect(admin.get_by_text("is approved and locked")).to_be_visible()
        check_page(admin, "practice-approved")
        admin.get_by_role("button", name="Unlock").click()
        expect(admin.locator(".govuk-error-summary")).to_be_visible()
        check_page(admin, "practice-unlock-error")

    thread = threading.Thread(target=drive)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]
    assert selectors.approved_periods(partner=partner, evaluation=evaluation) == {date(2025, 4, 1)}
