"""A report's way to the public in a real browser: the partner's lead writes key messages and marks
the report final; a practice admin finds it among the reports awaiting approval and approves it;
anyone, signed out, finds it on "Published evaluations", filters and downloads it. Every page is
checked with axe."""

import re

from playwright.sync_api import expect

from evaluations import services as evaluation_services
from outcomes import services as outcome_services
from pine.models import AuditEvent
from reports import services
from tests import factories
from tests.browser.steps import authenticator, download, heading, open_practice_home, sign_in, sign_in_practice
from tests.factories import PASSWORD
from tests.reports.test_versions import DATA, PLAN

SLOW_MS = 90_000  # marking final draws the HTML, PDF and Word document again (here the worker runs eagerly)


def test_a_lead_marks_a_report_final_an_admin_approves_it_and_anyone_reads_it(new_context, check_page, partner, lead):
    evaluation = factories.EvaluationFactory(
        application__partner=partner,
        application__practice_title="Family group conferences",
        application__cohort__name="PINE round 6",
        application__cohort__theme="Front door",
    )
    admin = factories.PracticeUserFactory(email="admin@pine.example")
    outcome_services.submission_upload(
        partner=partner, actor=lead, evaluation=evaluation, filename="d.csv", content=DATA.encode()
    )
    plan = evaluation_services.plan_save_draft(partner=partner, actor=lead, evaluation=evaluation, **PLAN)
    evaluation_services.plan_sign_off(actor=admin, plan=plan)
    report = services.report_request(partner=partner, actor=lead, evaluation=evaluation)
    services.report_build(report_id=report.pk)

    # The partner's lead: key messages in their own words, too long at first, then final.
    page = new_context().new_page()
    sign_in(page, lead.email, PASSWORD)
    page.goto(f"/p/{partner.slug}/reports/{report.code}/")
    expect(heading(page)).to_have_text("Evaluation report")
    check_page(page, "lead-report")
    box = page.get_by_label("Key messages in your own words")
    box.fill("word " * 301)
    page.get_by_role("button", name="Save key messages").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("300 words or fewer")
    check_page(page, "lead-too-long")
    box.fill("Families told us the conferences helped them make their own plans.")
    with page.expect_navigation(timeout=SLOW_MS):
        page.get_by_role("button", name="Save and mark final").click()
    expect(page.get_by_text("Your report is being marked final")).to_be_visible()
    expect(page.get_by_text("waiting for the practice team to approve it")).to_be_visible()
    check_page(page, "lead-final")

    # A practice admin: the reports awaiting approval, one report, approved.
    admin_page = new_context().new_page()
    sign_in_practice(admin_page, admin, authenticator(admin))
    open_practice_home(admin_page)
    admin_page.get_by_role("link", name="Reports awaiting approval").click()
    expect(heading(admin_page)).to_have_text("Reports awaiting approval")
    check_page(admin_page, "admin-list")
    admin_page.get_by_role("link", name="Family group conferences").click()
    expect(admin_page.get_by_text("Families told us the conferences helped")).to_be_visible()
    check_page(admin_page, "admin-report")
    admin_page.get_by_role("button", name="Approve for publication").click()
    expect(admin_page.get_by_text("The report is approved and published.")).to_be_visible()

    # Anyone, signed out: the published evaluations, filtered, and a download.
    public = new_context().new_page()
    public.goto("/published/")
    expect(heading(public)).to_have_text("Published evaluations")
    expect(public.get_by_text("In Northshire County Council's own words")).to_be_visible()
    check_page(public, "published")
    public.get_by_label("Theme").select_option("Front door")
    public.get_by_label("Search").fill("conferences")
    public.get_by_role("button", name="Search").click()
    expect(public.get_by_role("heading", name=re.compile("Family group conferences"))).to_be_visible()
    check_page(public, "published-filtered")
    name, content = download(public, public.get_by_role("link", name=re.compile(r"^Report \(PDF\)")))
    assert name.endswith("-v1.pdf") and content.startswith(b"%PDF")
    name, content = download(public, public.get_by_role("link", name=re.compile(r"^Report \(Word\)")))
    assert name.endswith("-v1.docx") and content.startswith(b"PK")
    name, content = download(public, public.get_by_role("link", name=re.compile(r"^Appendix \(Excel")))
    assert name.endswith("-v1.xlsx") and content.startswith(b"PK")
    public.set_viewport_size({"width": 390, "height": 844})
    assert public.evaluate("document.documentElement.scrollWidth") <= 390
    check_page(public, "published-narrow")
    assert AuditEvent.objects.filter(action="published_report.download").count() == 3
