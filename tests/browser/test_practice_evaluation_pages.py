"""The practice team's views of a partner's evaluation in a real browser: an analyst goes from the
practice home to the evaluation and through every section of its sub-navigation, each page checked
with axe; the charts draw; on a 390 px wide screen wide tables scroll inside their own box, never
the page; without JavaScript the values are all there in the tables."""

from datetime import date

from playwright.sync_api import expect

from evaluations import services as evaluation_services
from evaluations import theory
from evaluations.models import EvaluationPlan
from measures.models import Measure
from outcomes.models import OutcomeValue, Submission
from reports.models import Report
from tests import factories
from tests.browser.steps import authenticator, heading, open_practice_home, sign_in_practice

SECTIONS = ["Outcome data", "Uploads", "Value history", "Theory of change", "Plan", "Onboarding", "Reports"]


def _evaluation_with_data(partner, lead):
    evaluation = factories.EvaluationFactory(application__partner=partner, application__practice_title="Family group conferences")
    upload = factories.SubmissionFactory(evaluation=evaluation, filename="two-years.csv", uploaded_by=lead, row_count=96)
    values = []
    for measure in Measure.objects.filter(code__in=["re_referrals_12m", "referrals_nfa"]):
        for month in range(24):
            year, month0 = 2024 + month // 12, month % 12
            start = date(year, month0 + 1, 1)
            end = date(year + (month0 == 11), (month0 + 1) % 12 + 1, 1).replace(day=1)
            end = date.fromordinal(end.toordinal() - 1)
            for group, base in (("intervention", 200), ("comparison", 180)):
                numerator = 30 + (month * 7 + len(group)) % 25
                values.append(OutcomeValue(
                    partner=partner, evaluation=evaluation, submission=upload, measure=measure, period_start=start,
                    period_end=end, group=group, value=round(100 * numerator / base, 2), numerator=numerator, denominator=base,
                ))  # fmt: skip
    OutcomeValue.objects.bulk_create(values)
    correction = factories.SubmissionFactory(evaluation=evaluation, filename="january-corrected.csv", uploaded_by=lead)
    replaced = OutcomeValue.objects.get(evaluation=evaluation, measure__code="re_referrals_12m", group="intervention",
                                        period_start=date(2025, 1, 1))  # fmt: skip
    OutcomeValue.objects.filter(pk=replaced.pk).update(is_current=False)
    new = factories.OutcomeValueFactory(
        submission=correction,
        period_start=replaced.period_start,
        period_end=replaced.period_end,
        value="25",
        numerator=50,
        denominator=200,
    )
    OutcomeValue.objects.filter(pk=replaced.pk).update(superseded_by=new)
    factories.SubmissionFactory(
        evaluation=evaluation, filename="march-typo.csv", uploaded_by=lead, status=Submission.Status.REJECTED,
        errors=[{"row": 4, "column": "value", "value": "2O", "reason": "The value must be a number."}],
    )  # fmt: skip
    factories.SubmissionFactory(
        evaluation=evaluation, filename="april.csv", uploaded_by=lead, explanation="A new referral route opened in April.",
        warnings=[{
            "kind": "unusual_change", "row": 2, "measure": "re_referrals_12m", "group": "intervention",
            "period_start": "2025-04-01", "value": "48", "previous_period_start": "2025-03-01", "previous_value": "22",
            "reason": "More than twice the previous period's value.",
        }],
    )  # fmt: skip
    measures = [{"code": "re_referrals_12m", "direction": "decrease"}]
    plan = {"partner": partner, "evaluation": evaluation, "created_by": lead, "research_questions": "Fewer re-referrals?"}
    EvaluationPlan.objects.create(**plan, version=1, status="signed_off", design="its", measures=measures)
    EvaluationPlan.objects.create(
        **plan,
        version=2,
        design="did",
        change_reason="A comparison area joined.",
        comparison_group="Southbrook",
        measures=measures,
    )
    content, _ = theory.parse(
        {"activities": "Family group conferences at the front door", "outputs": "Families make their own plan",
         "short_term": "Fewer re-referrals"},
        "AC1 -> OP1\nOP1 -> ST1", "ST1: re_referrals_12m", known_measures={"re_referrals_12m"},
    )  # fmt: skip
    evaluation_services.theory_save(partner=partner, actor=lead, evaluation=evaluation, content=content)
    factories.ReportFactory(evaluation=evaluation, status=Report.Status.DONE, html=b"<html>report</html>", pdf=b"%PDF-1.7")
    return evaluation


def test_an_analyst_reads_a_partners_evaluation(new_context, check_page, base_url, partner, lead):
    evaluation = _evaluation_with_data(partner, lead)
    analyst = factories.PracticeUserFactory(practice_role="analyst", email="analyst@pine.example")
    device = authenticator(analyst)
    context = new_context()
    page = context.new_page()
    sign_in_practice(page, analyst, device)
    open_practice_home(page)
    page.locator(f'a[href="/practice/evaluations/{evaluation.code}/"]').first.click()  # from the home's evaluations
    expect(heading(page)).to_have_text("Family group conferences")
    check_page(page, "overview")

    navigation = page.get_by_role("navigation", name="Sections of this evaluation")
    for section in SECTIONS:
        navigation.get_by_role("link", name=section).click()
        expect(navigation.get_by_role("link", name=section)).to_have_attribute("aria-current", "page")
        if section == "Outcome data":
            expect(page.locator(".pine-chart .main-svg").first).to_be_visible()  # plotly drew the chart
            expect(page.get_by_role("table", name="Values of Re-referrals within 12 months by period and group")).to_be_visible()
        if section == "Value history":
            expect(page.get_by_text("25 (50 of 200)")).to_be_visible()
        if section == "Plan":
            expect(page.get_by_role("heading", name="Version 1 and version 2 compared")).to_be_visible()
        check_page(page, section)

    page.goto(f"/practice/evaluations/{evaluation.code}/uploads/")
    page.get_by_role("link", name="april.csv").click()
    expect(page.get_by_text("A new referral route opened in April.")).to_be_visible()
    check_page(page, "upload-explained")
    page.go_back()
    page.get_by_role("link", name="march-typo.csv").click()
    expect(page.get_by_text("The value must be a number.")).to_be_visible()
    check_page(page, "upload-problems")

    page.goto(f"/practice/evaluations/{evaluation.code}/onboarding/")
    with page.expect_download() as download:
        page.get_by_role("link", name="data-sharing-agreement.pdf").click()
    assert download.value.suggested_filename == "data-sharing-agreement.pdf"

    # A phone's width: the page itself never scrolls sideways; the wide tables scroll in their box.
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("data/", "uploads/", "value-history/", "plan/", ""):
        page.goto(f"/practice/evaluations/{evaluation.code}/{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        check_page(page, f"narrow-{path.strip('/') or 'overview'}")
    page.goto(f"/practice/evaluations/{evaluation.code}/data/")
    box = page.locator(".pine-table-scroll").first
    assert box.evaluate("element => element.scrollWidth > element.clientWidth")

    # Without JavaScript: no chart, every value in the tables.
    plain_context = context.browser.new_context(base_url=base_url, java_script_enabled=False)
    plain_context.add_cookies(context.cookies())  # the analyst's session
    plain_page = plain_context.new_page()
    plain_page.goto(f"/practice/evaluations/{evaluation.code}/data/")
    expect(plain_page.locator(".pine-chart .main-svg")).to_have_count(0)
    table = plain_page.get_by_role("table", name="Values of Re-referrals within 12 months by period and group")
    expect(table.get_by_role("row", name="1 Jan 2025 to 31 Jan 2025 25 50 of 200")).to_be_visible()
    plain_context.close()

    # Under the Content-Security-Policy (no inline script): plotly.js and the figures' data blocks still draw.
    strict = new_context(bypass_csp=False)
    strict.add_cookies(context.cookies())
    strict_page = strict.new_page()
    problems = []
    strict_page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    strict_page.on("pageerror", lambda error: problems.append(str(error)))
    strict_page.goto(f"/practice/evaluations/{evaluation.code}/data/")
    expect(strict_page.locator(".pine-chart .main-svg").first).to_be_visible()
    assert problems == []
