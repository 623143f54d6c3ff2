"""Approval against the data and the work queue in a real browser, each page checked with axe-core:
the practice admin finds the periods waiting in the work queue, looks at the charts and each
period's values, sends one period back with a query, approves two others in one action; the
partner's lead answers the query from their notification; the period can then be approved."""

import re

from playwright.sync_api import expect

from evaluations.models import Onboarding
from outcomes import services
from outcomes.models import PeriodApproval
from tests import factories
from tests.browser.steps import authenticator, heading, sign_in, sign_in_practice
from tests.factories import PASSWORD

HEADER = "measure,period_start,period_end,group,value,numerator,denominator\n"
ROWS = "".join(
    f"re_referrals_12m,01/{month:02d}/2025,{days}/{month:02d}/2025,{group},{value},{value * 2},200\n"
    for month, days in ((4, 30), (5, 31), (6, 30))
    for group, value in (("intervention", 18 + month), ("comparison", 25))
)


def test_approval_against_the_data(new_context, check_page, partner, lead, practice_admin):
    evaluation = factories.EvaluationFactory(application__partner=partner, application__practice_title="Family group conferences")
    services.submission_upload(
        partner=partner, actor=lead, evaluation=evaluation, filename="d.csv", content=(HEADER + ROWS).encode()
    )
    # A later correction of May, so the page has a change from an earlier version to show.
    services.submission_upload(
        partner=partner,
        actor=lead,
        evaluation=evaluation,
        filename="may.csv",
        content=(HEADER + "re_referrals_12m,01/05/2025,31/05/2025,intervention,24,48,200\n").encode(),
    )
    # Since then the partner recorded its renewed agreement: it waits for the practice team to verify it.
    Onboarding.objects.filter(evaluation=evaluation).update(dsa_verified_at=None)
    device = authenticator(practice_admin)

    admin = new_context().new_page()
    sign_in_practice(admin, practice_admin, device)
    admin.get_by_role("navigation", name="Menu").get_by_role("link", name="Work queue").click()
    expect(heading(admin)).to_have_text("Work queue")
    check_page(admin, "work-queue")
    problems = []
    admin.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    admin.on("response", lambda response: response.status >= 400 and problems.append(f"HTTP {response.status}: {response.url}"))
    admin.get_by_role("link", name="Look at the data and approve").click()
    expect(heading(admin)).to_have_text("Approve outcome data: Family group conferences")
    # plotly drew the chart (plotly.js is 4.8 MB: the live server may take a while on a busy machine)
    expect(admin.locator(".pine-chart .main-svg").first).to_be_visible(timeout=30_000)
    admin.get_by_text("Data for 1 May 2025").click()
    expect(admin.get_by_role("table", name="Changes from earlier versions")).to_be_visible()
    assert problems == []
    check_page(admin, "approval")

    # Nothing selected: an error, and nothing approved.
    admin.get_by_role("button", name="Approve selected periods").click()
    expect(admin.locator(".govuk-error-summary")).to_be_visible()
    check_page(admin, "approval-error")

    # June goes back to the partner with a query.
    admin.get_by_text("Data for 1 Jun 2025").click()
    admin.get_by_role("link", name="Send this period back with a query (1 Jun 2025)").click()
    expect(heading(admin)).to_have_text("Period starting 1 June 2025")
    admin.get_by_role("button", name="Send back with this query").click()
    expect(admin.locator(".govuk-error-summary")).to_be_visible()
    check_page(admin, "period-query-error")
    admin.get_by_label("Your question for the partner").fill("June's intervention group grew: is that the new team?")
    admin.get_by_role("button", name="Send back with this query").click()
    expect(admin.get_by_text("was sent back to the partner")).to_be_visible()

    # April and May approved in one action; June cannot be selected while its query is open.
    expect(admin.get_by_label("1 Jun 2025 to 30 Jun 2025")).to_have_count(0)
    admin.get_by_label("1 Apr 2025 to 30 Apr 2025").check()
    admin.get_by_label("1 May 2025 to 31 May 2025").check()
    admin.get_by_role("button", name="Approve selected periods").click()
    expect(admin.get_by_text("2 periods approved and locked.")).to_be_visible()
    check_page(admin, "approved-two")
    assert PeriodApproval.objects.filter(evaluation=evaluation).count() == 2

    # The data sharing agreement, from the work queue: checked against its file, then verified.
    admin.get_by_role("navigation", name="Menu").get_by_role("link", name="Work queue").click()
    admin.get_by_role("link", name=re.compile(r"^Verify")).click()
    expect(heading(admin)).to_have_text("Data sharing agreement")
    check_page(admin, "agreement")
    admin.get_by_role("button", name="Mark the agreement as verified").click()
    expect(admin.get_by_text("The data sharing agreement is verified.")).to_be_visible()

    # The partner's lead answers from the notification.
    page = new_context().new_page()
    sign_in(page, lead.email, PASSWORD)
    page.get_by_role("link", name="Notifications").first.click()
    page.get_by_role("link", name="The practice team has a question").first.click()
    expect(heading(page)).to_have_text("Question about the period starting 1 June 2025")
    check_page(page, "partner-query")
    page.get_by_label("Your answer").fill("Yes: the new team started in June.")
    page.get_by_role("button", name="Send your answer").click()
    expect(page.get_by_text("The practice team has your answer.")).to_be_visible()
    check_page(page, "partner-answered")
    page.get_by_role("link", name="Every question about this evaluation's data").click()
    check_page(page, "partner-queries")

    # Back on the approval page, June shows the question and answer and can be approved.
    # On a phone's width (390 px): the chart fits, wide tables scroll inside their container.
    admin.set_viewport_size({"width": 390, "height": 844})
    admin.goto(f"/practice/evaluations/{evaluation.code}/outcome-periods/")
    admin.get_by_text("Data for 1 Jun 2025").click()
    expect(admin.get_by_text("Yes: the new team started in June.")).to_be_visible()
    expect(admin.locator(".pine-chart .main-svg").first).to_be_visible(timeout=30_000)
    assert admin.evaluate("() => document.documentElement.scrollWidth") <= 390
    check_page(admin, "approval-answered-narrow")
    admin.get_by_label("1 Jun 2025 to 30 Jun 2025").check()
    admin.get_by_role("button", name="Approve selected periods").click()
    expect(admin.get_by_text("1 period approved and locked.")).to_be_visible()
    assert PeriodApproval.objects.filter(evaluation=evaluation).count() == 3

    # Under the Content-Security-Policy (no inline script), the charts are still drawn.
    strict = new_context(bypass_csp=False).new_page()
    problems = []
    strict.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
    strict.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    sign_in_practice(strict, practice_admin, device)
    strict.goto(f"/practice/evaluations/{evaluation.code}/outcome-periods/")
    expect(strict.locator(".pine-chart .main-svg").first).to_be_visible(timeout=30_000)
    assert problems == []
