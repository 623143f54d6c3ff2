"""The programme dashboard (the practice team's home), a cohort's dashboard and their API: they show
stored figures, filter, sort and download them, and their number of queries does not grow with the
number of partners."""

import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.dashboards import services
from tests import factories
from tests.conftest import in_scope_of, token_client, verified_client
from tests.reports.dashboard_helpers import evaluation_with_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort():
    return factories.CohortFactory(name="Family help 2025", slug="family-help-2025")


def _with_figures(cohort, n, *, months=14, start=0):
    evaluations = []
    for i in range(start, start + n):
        partner = factories.PartnerFactory(name=f"Council {i:02d}", slug=f"council-{i:02d}")
        evaluation = evaluation_with_data(partner=partner, cohort=cohort, months=months, measures=("re_referrals_12m",))
        services.figures_refresh_now(evaluation=evaluation)
        evaluations.append(evaluation)
    return evaluations


def test_the_programme_dashboard_shows_every_cohort_and_evaluation_with_its_figures(practice_client, cohort):
    _with_figures(cohort, 2)
    empty = factories.CohortFactory(name="Empty cohort")
    response = practice_client.get(reverse("practice_home"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Family help 2025" in page and "Empty cohort" in page and "No evaluations yet." in page
    assert "Council 00" in page and "Council 01" in page
    assert "At risk" in page and "How the status is worked out" in page
    assert reverse("reports:cohort_dashboard", args=[cohort.slug]) in page
    assert reverse("cohorts:practice_cohort", args=[empty.slug]) in page
    assert "Create a cohort" in page  # admins keep their links


def test_the_programme_dashboard_filters_and_sorts(practice_client, cohort):
    _with_figures(cohort, 2)
    other = factories.CohortFactory(name="Other cohort", slug="other")
    factories.EvaluationFactory(application__cohort=other, application__partner__name="Not computed council")
    page = practice_client.get(reverse("practice_home"), {"status": "on_track"}).content.decode()
    assert "Council 00" not in page and "0 evaluations match the filters" in page
    page = practice_client.get(reverse("practice_home"), {"cohort": "other"}).content.decode()
    assert "Not computed council" in page and "Council 00" not in page and "Not computed yet" in page
    page = practice_client.get(reverse("practice_home"), {"sort": "partner", "cohort": cohort.slug}).content.decode()
    assert page.index("Council 00") < page.index("Council 01")


def test_bad_filters_give_the_page_with_an_error_not_a_server_error(practice_client, cohort):
    response = practice_client.get(reverse("practice_home"), {"stage": "nonsense", "cohort": "x" * 300, "sort": "=1+1"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_the_programme_dashboard_downloads_as_csv_and_xlsx(practice_client, cohort):
    _with_figures(cohort, 1)
    csv = practice_client.get(reverse("practice_home"), {"download": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Cohort,Partner,Evaluation,Stage,Status")
    assert "Council 00" in text and "At risk" in text
    xlsx = practice_client.get(reverse("practice_home"), {"download": "xlsx", "status": "at_risk"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(2, 2).value == "Council 00"


def test_a_reviewer_sees_no_dashboard(client, cohort):
    _with_figures(cohort, 1)
    response = verified_client(client, factories.ReviewerFactory()).get(reverse("practice_home"))
    page = response.content.decode()
    assert response.status_code == 200 and "Your reviews" in page and "Council 00" not in page
    assert "groups" not in response.context


def test_the_programme_dashboards_queries_do_not_grow_with_partners(practice_client, cohort):
    _with_figures(cohort, 3)
    with CaptureQueriesContext(connection) as few:
        assert practice_client.get(reverse("practice_home")).status_code == 200
    _with_figures(cohort, 9, start=3)
    with CaptureQueriesContext(connection) as many:
        page = practice_client.get(reverse("practice_home")).content.decode()
    assert "Council 11" in page
    assert 0 < len(many) == len(few)


def test_the_cohort_dashboard_shows_completeness_small_multiples_and_a_funnel(practice_client, cohort):
    _with_figures(cohort, 3)
    url = reverse("reports:cohort_dashboard", args=[cohort.slug])
    response = practice_client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Completeness" in page and "pine-state-missing" in page  # the latest 24 periods: 2026 is missing
    assert page.count('id="multiple-') >= 3 * 2  # a title and a description each
    assert 'id="funnel-title"' in page and "The funnel plot as a table" in page
    csv = practice_client.get(
        reverse("reports:cohort_dashboard_download", args=[cohort.slug, "funnel", "csv"]), {"measure": "re_referrals_12m"}
    )
    assert csv.status_code == 200 and "Council 02" in csv.content.decode("utf-8-sig")
    png = practice_client.get(
        reverse("reports:cohort_dashboard_download", args=[cohort.slug, "multiples", "png"]), {"measure": "re_referrals_12m"}
    )
    assert png.content.startswith(b"\x89PNG")
    grid = practice_client.get(reverse("reports:cohort_dashboard_download", args=[cohort.slug, "completeness", "csv"]))
    assert "Approved" in grid.content.decode("utf-8-sig")


def test_the_cohort_dashboard_refuses_unknown_downloads_and_measures_with_404(practice_client, cohort):
    _with_figures(cohort, 1)
    download = "reports:cohort_dashboard_download"
    assert practice_client.get(reverse(download, args=[cohort.slug, "funnel", "exe"])).status_code == 404
    assert practice_client.get(reverse(download, args=[cohort.slug, "funnel", "csv"]), {"measure": "nope"}).status_code == 404
    assert practice_client.get(reverse("reports:cohort_dashboard", args=["no-such-cohort"])).status_code == 404
    assert practice_client.get(reverse("reports:cohort_dashboard", args=[cohort.slug]), {"measure": "nope"}).status_code == 200


def test_a_partners_member_cannot_see_a_cohort_dashboard(client, cohort, lead):
    client.force_login(lead)
    assert client.get(reverse("reports:cohort_dashboard", args=[cohort.slug])).status_code == 404


def test_the_cohort_dashboards_queries_do_not_grow_with_partners(practice_client, cohort):
    _with_figures(cohort, 3)
    url = reverse("reports:cohort_dashboard", args=[cohort.slug])
    with CaptureQueriesContext(connection) as few:
        assert practice_client.get(url).status_code == 200
    _with_figures(cohort, 9, start=3)
    with CaptureQueriesContext(connection) as many:
        assert "Council 11" in practice_client.get(url).content.decode()
    assert 0 < len(many) == len(few)


def test_a_small_count_is_not_shown_across_partners(practice_client, cohort):
    (evaluation,) = _with_figures(cohort, 1)
    from outcomes.models import OutcomeValue

    latest = OutcomeValue.objects.filter(evaluation=evaluation).order_by("-period_start").first()
    latest.numerator, latest.value = 2, 2
    latest.save()
    services.figures_refresh_now(evaluation=evaluation)
    csv = practice_client.get(
        reverse("reports:cohort_dashboard_download", args=[cohort.slug, "multiples", "csv"]), {"measure": "re_referrals_12m"}
    ).content.decode("utf-8-sig")
    assert f"Council 00,{latest.period_start.isoformat()},\r\n" in csv  # hidden: an empty cell


def test_the_programme_dashboard_api_lists_and_filters_rows(practice_admin, cohort):
    _with_figures(cohort, 2)
    api = token_client(practice_admin)
    body = api.get("/api/v1/practice/dashboard/", {"status": "at_risk", "sort": "partner"}).json()
    assert [r["partner_name"] for r in body["results"]] == ["Council 00", "Council 01"]
    assert body["results"][0]["figures"]["status"] == "at_risk"
    assert api.get("/api/v1/practice/dashboard/", {"stage": "nonsense"}).status_code == 400
    cohort_body = api.get(f"/api/v1/practice/cohorts/{cohort.slug}/dashboard/").json()
    assert cohort_body["results"][0]["shared"]["re_referrals_12m"]["points"]
    assert api.get("/api/v1/practice/cohorts/nope/dashboard/").status_code == 404


def test_a_partner_reads_its_own_figures_and_another_partners_are_404(partner, lead, other_partner, other_lead):
    with in_scope_of():  # set up as the practice team
        evaluation = evaluation_with_data(partner=partner, months=14)
        other = evaluation_with_data(partner=other_partner, months=14)
        services.figures_refresh_now(evaluation=evaluation)
        services.figures_refresh_now(evaluation=other)
    api = token_client(lead)
    own = api.get(f"/api/v1/partners/{partner.slug}/evaluations/{evaluation.code}/figures/")
    assert own.status_code == 200 and own.json()["measures"][0]["chart"]["chart_type"] == "p"
    theirs = api.get(f"/api/v1/partners/{partner.slug}/evaluations/{other.code}/figures/")
    missing = api.get(f"/api/v1/partners/{partner.slug}/evaluations/00000000-0000-0000-0000-000000000000/figures/")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
