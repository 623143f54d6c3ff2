"""Browser tests: a real Chromium driven by Playwright against pytest-django's live server.

* Chromium comes from the system (Debian's ``chromium``), never from ``playwright install``:
  ``CHROMIUM_PATH`` overrides the default ``/usr/bin/chromium``. Without it the browser tests are
  skipped, except in CI (``CI=true``), where a missing browser fails the run.
* Every page a test visits is checked with axe-core (``tests/browser/axe.min.js``, the npm
  ``axe-core`` 4.14.1 build, MPL-2.0: see ``axe-LICENSE.txt``) against WCAG 2.2 A and AA rules.
* Set ``PINE_SCREENSHOTS`` to a folder to keep a full-page screenshot of every page checked.
"""

import hashlib
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

HERE = Path(__file__).resolve().parent
AXE_PATH = HERE / "axe.min.js"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(config, items):
    """Every test in this folder drives a browser: mark it so (``-m "not browser"`` skips them)."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_test_failed = report.failed
    return report


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def chromium_path() -> str | None:
    """The Chromium to drive, or None if there is none (a bare name is looked up on PATH)."""
    candidate = os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM
    if os.sep not in candidate:
        candidate = shutil.which(candidate) or candidate
    return candidate if os.path.isfile(candidate) and os.access(candidate, os.X_OK) else None


def _unavailable(reason: str):
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: browser tests must not be skipped in CI)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        _unavailable(f"No Chromium at {os.environ.get('CHROMIUM_PATH') or DEFAULT_CHROMIUM}: set CHROMIUM_PATH")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("The playwright package is not installed")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
    except Exception as error:  # noqa: BLE001 - reported (or failed in CI), not hidden
        playwright.stop()
        _unavailable(f"Chromium at {path} did not start: {error}")
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def base_url(live_server) -> str:
    return live_server.url


@pytest.fixture
def new_context(request, browser, base_url):
    """Opens browser contexts (each its own cookie jar, i.e. its own signed-in user); all are closed
    after the test.

    The contexts bypass the Content-Security-Policy, which forbids the inline script that injects
    axe; ``test_accessibility.test_pages_work_under_the_content_security_policy`` checks pages
    with the policy in force.
    """
    contexts = []

    def make(*, bypass_csp: bool = True):
        context = browser.new_context(base_url=base_url, bypass_csp=bypass_csp, locale="en-GB", timezone_id="Europe/London")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    failed = getattr(request.node, "browser_test_failed", False)
    for number, context in enumerate(contexts, start=1):
        if failed:
            for page in context.pages:
                save_screenshot(page, f"{request.node.name.removeprefix('test_')}-FAILED-context{number}")
        context.close()


@pytest.fixture
def page(new_context):
    """A page in a fresh browser context (no cookies: signed out)."""
    return new_context().new_page()


# --- checks of a page -----------------------------------------------------------------------------


def _describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact') or 'unknown impact'}): {violation['help']}")
        lines.append(f"  {violation.get('helpUrl', '')}")
        for node in violation.get("nodes", [])[:10]:
            target = " ".join(" > ".join(part) if isinstance(part, list) else part for part in node.get("target", []))
            lines.append(f"    at {target}")
            summary = (node.get("failureSummary") or "").replace("\n", " ").strip()
            if summary:
                lines.append(f"       {summary[:300]}")
        if len(violation.get("nodes", [])) > 10:
            lines.append(f"    ... and {len(violation['nodes']) - 10} more")
    return "\n".join(lines)


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2.x A/AA violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_PATH))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return result["violations"]


def assert_no_axe_violations(page, context_name: str) -> None:
    violations = axe_violations(page)
    if violations:
        pytest.fail(f"Accessibility violations on {context_name} ({page.url}):\n{_describe(violations)}", pytrace=False)


def save_screenshot(page, name: str) -> Path | None:
    """A full-page screenshot into $PINE_SCREENSHOTS, if it is set (for a person to look at)."""
    folder = os.environ.get("PINE_SCREENSHOTS")
    if not folder:
        return None
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "page"
    target = path / f"{safe}.png"
    page.screenshot(path=str(target), full_page=True)
    return target


# The pages axe has checked in this test process, by kind: a page is checked once, however many
# walks pass through it in the same state. PINE_AXE_EVERY_PAGE=1 checks every page every time.
_AXE_CHECKED: set[tuple[str, str, str]] = set()

# The kinds of element on a page (tag, classes, role, input type), each once: a page in another
# state (a stage's buttons, a warning, an error, a banner) has kinds the first visit did not.
_ELEMENT_KINDS_JS = """() => Array.from(new Set(Array.from(document.body.querySelectorAll('*'), (e) =>
    [e.tagName, e.getAttribute('class') || '', e.getAttribute('role') || '', e.getAttribute('type') || ''].join('|')
))).sort().join('\\n')"""


def page_kind(page) -> tuple[str, str, str]:
    """What makes a page distinct: its URL's route (not the codes in it), its title (which an
    error summary changes) and the kinds of element it shows (not their number or text)."""
    from django.urls import Resolver404, resolve

    try:
        route = resolve(urlsplit(page.url).path).route
    except Resolver404:
        route = "(not found)"
    elements = hashlib.sha256(page.evaluate(_ELEMENT_KINDS_JS).encode()).hexdigest()
    return route, page.title(), elements


@pytest.fixture
def check_page(request):
    """``check_page(page, name)``: screenshot the page (if asked) and fail on any axe violation
    (axe runs once for each kind of page, see :func:`page_kind`)."""
    test = request.node.name.removeprefix("test_")
    count = 0

    def check(page, name: str) -> None:
        nonlocal count
        count += 1
        page.wait_for_load_state("load")
        save_screenshot(page, f"{test}-{count:02d}-{name}")
        kind = page_kind(page)
        if kind not in _AXE_CHECKED or os.environ.get("PINE_AXE_EVERY_PAGE"):
            assert_no_axe_violations(page, name)
            _AXE_CHECKED.add(kind)

    return check
