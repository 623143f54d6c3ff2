"""Public pages pass axe-core (WCAG 2.2 A/AA), and pages work with the Content-Security-Policy in
force: their CSS and scripts are served (by the live server's static files handler) and run."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import assert_no_axe_violations


def test_public_pages_pass_axe(page, check_page):
    cohort = factories.CohortFactory(name="PINE round 4: family help", theme="Family help")
    for path, name, title in [
        ("/", "start", "Practice in Need of Evidence"),
        ("/cohorts/", "open-calls", "Open calls for applications"),
        (f"/cohorts/{cohort.slug}/", "open-call", cohort.name),
        ("/accounts/register/", "register", "Register your agency"),
        ("/accounts/password-reset/", "password-reset", None),
        ("/published/", "published-evaluations", "Published evaluations"),
    ]:
        response = page.goto(path)
        assert response.status == 200, (path, response.status)
        if title:
            expect(page.get_by_role("heading", level=1)).to_have_text(title)
        check_page(page, name)
    page.goto("/cohorts/")
    expect(page.get_by_role("link", name=cohort.name)).to_be_visible()


def test_register_form_errors_pass_axe(page, check_page):
    page.goto("/accounts/register/")
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    # Each message in the summary links to its field.
    for link in summary.get_by_role("link").all():
        target = link.get_attribute("href")
        assert target.startswith("#") and page.locator(target).count() == 1, target
    check_page(page, "register-errors")


def test_pages_work_under_the_content_security_policy(new_context, base_url):
    factories.CohortFactory(name="PINE round 5")
    page = new_context(bypass_csp=False).new_page()
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url} {request.failure}"))
    page.on(
        "response",
        lambda response: response.status >= 400 and problems.append(f"HTTP {response.status}: {response.url}"),
    )
    for path in ["/", "/cohorts/", "/accounts/login/", "/published/"]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("() => document.body.classList.contains('govuk-frontend-supported')"), (
            f"{path}: pine.js (GOV.UK Frontend's initAll) did not run"
        )
        assert page.evaluate("() => typeof window.htmx !== 'undefined'"), f"{path}: htmx did not load"
        font = page.get_by_role("heading", level=1).evaluate("h => getComputedStyle(h).fontFamily")
        assert "arial" in font.lower(), f"{path}: GOV.UK Frontend's CSS did not apply (font-family {font!r})"
    assert problems == []


def test_the_axe_check_finds_violations(browser):
    """A guard for the check itself: a page with known faults must fail it (no live server needed)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content(
            '<html><head><title>Faulty</title></head><body><main><img src="chart.png">'
            '<input type="text" name="q"></main></body></html>'
        )
        with pytest.raises(pytest.fail.Exception) as failure:
            assert_no_axe_violations(page, "a faulty page")
    finally:
        context.close()
    message = str(failure.value)
    assert "html-has-lang" in message and "image-alt" in message and "label" in message, message
    assert "at img" in message, message
