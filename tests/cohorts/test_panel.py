"""The selection panel: page, CSV and XLSX downloads and API; constant queries; who may see it."""

import csv
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cohorts.models import Application, Decision
from tests import factories
from tests.cohorts.helpers import api_client, page_client, practice_page_client
from tests.cohorts.review_helpers import make_reviewed_cohort

pytestmark = pytest.mark.django_db

# With the standard rubric (weights 2, 1, 1, 1 and a fifth criterion not counted) and the default
# scores ((reviewer + application + criterion) % 4 + 1), the first application is scored
#   Reviewer 1: 1 2 3 4 | 1  → 2×1 + 2 + 3 + 4 = 11
#   Reviewer 2: 2 3 4 1 | 2  → 2×2 + 3 + 4 + 1 = 12
# so mean 11.5, median 11.5, spread 1; "Partnership and joint working" is 3 apart (4 and 1): flagged.
# The second: Reviewer 1: 2 3 4 1 | 2 → 12; Reviewer 2: 3 4 1 2 | 3 → 6 + 4 + 1 + 2 = 13.


@pytest.fixture
def reviewed():
    cohort, applications, reviewers = make_reviewed_cohort(n_applications=2, reviewers=2)
    return cohort, applications, reviewers


@pytest.fixture
def admin_client(practice_admin):
    return practice_page_client(practice_admin)


def urls(cohort):
    return {
        "page": reverse("cohorts:practice_panel", args=[cohort.slug]),
        "csv": reverse("cohorts:practice_panel_csv", args=[cohort.slug]),
        "xlsx": reverse("cohorts:practice_panel_xlsx", args=[cohort.slug]),
        "api": f"/api/v1/practice/cohorts/{cohort.slug}/panel/",
    }


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def read_xlsx(response) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


# --- what it shows ---------------------------------------------------------------------------------


def test_the_page_shows_each_reviewers_total_the_statistics_and_the_flag(admin_client, reviewed):
    cohort, applications, _ = reviewed
    page = admin_client.get(urls(cohort)["page"]).content.decode()
    assert "Reviewer 1: 11.00" in page and "Reviewer 2: 12.00" in page
    assert ">11.50<" in page and ">1.00<" in page  # mean/median, spread of the first
    assert ">12.50<" in page  # mean of the second
    assert "Disagree</strong>" in page and "Partnership and joint working" in page
    assert "Scores by criterion" in page and "not counted" in page
    assert "Screened: eligible" in page
    assert all(a.practice_title in page for a in applications)


def test_the_csv_has_one_row_per_application_with_a_column_per_reviewer_and_criterion(admin_client, reviewed):
    cohort, applications, _ = reviewed
    rows = read_csv(admin_client.get(urls(cohort)["csv"]))
    header, body = rows[0], rows[1:]
    assert len(body) == 2
    assert header[:10] == [
        "Partner",
        "Practice",
        "Status",
        "Pending decision",
        "Submitted reviews",
        "Mean",
        "Median",
        "Spread",
        "Reviewers disagree",
        "Criteria in disagreement",
    ]
    assert "Reviewer 1: total" in header and "Reviewer 2: Fit with the round's theme" in header
    first = dict(zip(header, next(r for r in body if r[1] == "Practice 1")))
    assert first["Mean"] == "11.5" and first["Median"] == "11.5" and first["Spread"] == "1.0"
    assert first["Reviewer 1: total"] == "11.0" and first["Reviewer 2: total"] == "12.0"
    assert first["Reviewers disagree"] == "Yes" and first["Criteria in disagreement"] == "Partnership and joint working"
    assert first["Reviewer 1: Promise of the practice"] == "1" and first["Reviewer 2: Partnership and joint working"] == "1"


def test_the_xlsx_has_the_same_table_with_numbers_as_numbers(admin_client, reviewed):
    cohort, _, _ = reviewed
    response = admin_client.get(urls(cohort)["xlsx"])
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = read_xlsx(response)
    header = rows[0]
    first = dict(zip(header, next(r for r in rows[1:] if r[1] == "Practice 1")))
    assert first["Mean"] == 11.5 and first["Reviewer 2: total"] == 12 and first["Submitted reviews"] == 2


def test_draft_reviews_are_left_out(admin_client, reviewed):
    cohort, applications, _ = reviewed
    criterion = cohort.criteria.first()
    draft = factories.ReviewFactory(
        assignment__application=applications[0], assignment__reviewer__full_name="Drafting Reviewer", status="draft"
    )
    factories.ScoreFactory(review=draft, criterion=criterion, score=4)
    page = admin_client.get(urls(cohort)["page"]).content.decode()
    assert "Drafting Reviewer" not in page
    assert "Drafting Reviewer: total" not in read_csv(admin_client.get(urls(cohort)["csv"]))[0]


def test_an_application_without_reviews_shows_no_statistics(admin_client, reviewed):
    cohort, _, _ = reviewed
    factories.CompleteApplicationFactory(cohort=cohort, status=Application.Status.ELIGIBLE, practice_title="Unreviewed")
    page = admin_client.get(urls(cohort)["page"]).content.decode()
    assert "No submitted reviews" in page
    row = next(r for r in read_csv(admin_client.get(urls(cohort)["csv"]))[1:] if r[1] == "Unreviewed")
    assert row[4:8] == ["0", "", "", ""]


def test_drafts_and_other_cohorts_applications_are_not_on_the_panel(admin_client, reviewed):
    cohort, _, _ = reviewed
    factories.CompleteApplicationFactory(cohort=cohort, status=Application.Status.DRAFT, practice_title="Still a draft")
    factories.CompleteApplicationFactory(status=Application.Status.ELIGIBLE, practice_title="Another round")
    page = admin_client.get(urls(cohort)["page"]).content.decode()
    assert "Still a draft" not in page and "Another round" not in page


# --- sorting and filtering -------------------------------------------------------------------------


def titles(response) -> list[str]:
    return [row[1] for row in read_csv(response)[1:]]


# Every criterion of a review gets the same score, so a total is 5 × that score (weights 2+1+1+1).
UNIFORM = [[2, 2, 2], [4, 4, 1], [3, 3, 4]]  # per application, per reviewer
# Practice 1: 10, 10, 10 → mean 10, median 10, spread 0
# Practice 2: 20, 20, 5  → mean 15, median 20, spread 15; 4 and 1 on every criterion: flagged
# Practice 3: 15, 15, 20 → mean 16.67, median 15, spread 5; at most one point apart


def uniform_cohort(**fields):
    return make_reviewed_cohort(n_applications=3, reviewers=3, score=lambda r, a, c: UNIFORM[a][r], **fields)


def test_it_sorts_by_mean_median_spread_and_name(admin_client):
    cohort, applications, _ = uniform_cohort()
    url = urls(cohort)["csv"]
    assert titles(admin_client.get(url, {"sort": "mean"})) == ["Practice 3", "Practice 2", "Practice 1"]
    assert titles(admin_client.get(url, {"sort": "-mean"})) == ["Practice 1", "Practice 2", "Practice 3"]
    assert titles(admin_client.get(url, {"sort": "median"})) == ["Practice 2", "Practice 3", "Practice 1"]
    assert titles(admin_client.get(url, {"sort": "spread"})) == ["Practice 2", "Practice 3", "Practice 1"]
    by_name = sorted(applications, key=lambda a: a.partner.name.lower())
    assert titles(admin_client.get(url, {"sort": "name"})) == [a.practice_title for a in by_name]
    assert titles(admin_client.get(url, {"sort": "-name"})) == [a.practice_title for a in reversed(by_name)]
    page = admin_client.get(urls(cohort)["page"], {"sort": "mean"}).content.decode()
    assert 'aria-sort="descending"><a class="govuk-link" href="?sort=-mean">Mean</a>' in page
    assert 'aria-sort="none"><a class="govuk-link" href="?sort=median">Median</a>' in page
    assert page.index("Practice 3") < page.index("Practice 2") < page.index("Practice 1")


def test_unreviewed_applications_sort_last_either_way(admin_client):
    cohort, _, _ = uniform_cohort()
    factories.CompleteApplicationFactory(cohort=cohort, status=Application.Status.ELIGIBLE, practice_title="Unreviewed")
    url = urls(cohort)["csv"]
    assert titles(admin_client.get(url, {"sort": "mean"}))[-1] == "Unreviewed"
    assert titles(admin_client.get(url, {"sort": "-mean"}))[-1] == "Unreviewed"


def test_it_filters_by_flag_decision_and_status(admin_client, practice_admin):
    cohort, applications, _ = uniform_cohort()
    url = urls(cohort)["csv"]
    assert titles(admin_client.get(url, {"flagged": "on"})) == ["Practice 2"]
    Application.objects.filter(pk=applications[0].pk).update(pending_decision=Decision.ACCEPT)
    Application.objects.filter(pk=applications[1].pk).update(status=Application.Status.INELIGIBLE)
    assert titles(admin_client.get(url, {"decision": "accept"})) == ["Practice 1"]
    assert titles(admin_client.get(url, {"decision": "none", "sort": "mean"})) == ["Practice 3", "Practice 2"]
    assert titles(admin_client.get(url, {"status": "ineligible"})) == ["Practice 2"]
    assert titles(admin_client.get(url, {"status": "eligible", "flagged": "on"})) == []
    page = admin_client.get(urls(cohort)["page"], {"decision": "accept"}).content.decode()
    assert "1 of 3 applications" in page and "panel.csv?decision=accept" in page
    flagged = api_client(practice_admin).get(urls(cohort)["api"], {"flagged": "true"}).json()["applications"]
    assert [a["practice_title"] for a in flagged] == ["Practice 2"]


def test_the_threshold_comes_from_the_cohort(admin_client):
    cohort, _, _ = uniform_cohort(disagreement_threshold=1)
    assert sorted(titles(admin_client.get(urls(cohort)["csv"], {"flagged": "on"}))) == ["Practice 2", "Practice 3"]


def test_bad_filters_give_an_error_message_not_an_error(admin_client, reviewed):
    cohort, _, _ = reviewed
    response = admin_client.get(urls(cohort)["page"], {"status": "nonsense", "sort": "bogus", "decision": "<b>"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert len(read_csv(admin_client.get(urls(cohort)["csv"], {"status": "nonsense"}))) == 3
    assert api_client_for_admin(cohort).status_code == 200


def api_client_for_admin(cohort):
    admin = factories.PracticeUserFactory()
    return api_client(admin).get(urls(cohort)["api"], {"sort": "bogus", "decision": "x"})


# --- formulas --------------------------------------------------------------------------------------


def test_cells_that_begin_like_formulas_are_neutralised_in_csv_and_xlsx(admin_client, reviewed):
    cohort, applications, _ = reviewed
    Application.objects.filter(pk=applications[0].pk).update(practice_title='=HYPERLINK("http://evil.example","x")')
    csv_rows = read_csv(admin_client.get(urls(cohort)["csv"]))
    assert any(r[1] == '\'=HYPERLINK("http://evil.example","x")' for r in csv_rows)
    assert not any(cell.startswith("=") for r in csv_rows for cell in r)
    xlsx_rows = read_xlsx(admin_client.get(urls(cohort)["xlsx"]))
    assert any(r[1] == '\'=HYPERLINK("http://evil.example","x")' for r in xlsx_rows)
    assert not any(isinstance(cell, str) and cell.startswith("=") for r in xlsx_rows for cell in r)


# --- a constant number of queries --------------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("which", ["page", "csv", "xlsx", "api"])
def test_the_panel_takes_the_same_number_of_queries_for_2_and_8_applications(practice_admin, which):
    small, _, _ = make_reviewed_cohort(n_applications=2, reviewers=2)
    large, _, _ = make_reviewed_cohort(n_applications=8, reviewers=3)
    client = api_client(practice_admin) if which == "api" else practice_page_client(practice_admin)
    count_queries(client, urls(small)[which])  # warm up (sessions, tokens, content types)
    assert count_queries(client, urls(small)[which]) == count_queries(client, urls(large)[which])


def test_the_page_stays_within_a_fixed_number_of_queries(admin_client, django_assert_max_num_queries):
    cohort, _, _ = make_reviewed_cohort(n_applications=8, reviewers=3)
    admin_client.get(urls(cohort)["page"])
    with django_assert_max_num_queries(15):
        admin_client.get(urls(cohort)["page"])


# --- the API ---------------------------------------------------------------------------------------


def test_the_api_gives_the_panel_as_json(practice_admin, reviewed):
    cohort, _, _ = reviewed
    data = api_client(practice_admin).get(urls(cohort)["api"], {"sort": "-mean"}).json()
    assert data["disagreement_threshold"] == 2 and data["places"] == {"capacity": 9, "accepted": 0, "pending": 0, "taken": 0}
    assert [c["title"] for c in data["criteria"]][0] == "Promise of the practice"
    first = next(a for a in data["applications"] if a["practice_title"] == "Practice 1")
    assert first["mean"] == 11.5 and first["median"] == 11.5 and first["spread"] == 1
    assert first["flagged"] and first["disagreements"] == ["Partnership and joint working"]
    assert [r["total"] for r in first["reviews"]] == [11, 12] and first["reviews"][0]["scores"] == [1, 2, 3, 4, 1]
    assert [a["practice_title"] for a in data["applications"]] == ["Practice 1", "Practice 2"]  # ascending


# --- who may see it ----------------------------------------------------------------------------------


def test_analysts_see_the_panel_but_not_the_decision_controls(reviewed):
    cohort, _, _ = reviewed
    analyst = factories.PracticeUserFactory(practice_role="analyst")
    client = practice_page_client(analyst)
    for which in ("page", "csv", "xlsx"):
        assert client.get(urls(cohort)[which]).status_code == 200
    assert api_client(analyst).get(urls(cohort)["api"]).status_code == 200


def test_reviewers_may_not_see_the_panel(reviewed):
    cohort, _, reviewers = reviewed
    client = practice_page_client(reviewers[0])
    for which in ("page", "csv", "xlsx"):
        assert client.get(urls(cohort)[which]).status_code == 403, which
    assert api_client(reviewers[0]).get(urls(cohort)["api"]).status_code == 403


def test_partner_users_get_404_whichever_partner(lead, other_lead, reviewed):
    cohort, applications, _ = reviewed
    for user in (lead, other_lead):
        client = page_client(user)
        for which in ("page", "csv", "xlsx"):
            assert client.get(urls(cohort)[which]).status_code == 404, which
        assert api_client(user).get(urls(cohort)["api"]).status_code == 404


def test_an_unknown_cohort_is_404(admin_client, practice_admin):
    assert admin_client.get(reverse("cohorts:practice_panel", args=["no-such-cohort"])).status_code == 404
    assert admin_client.get(reverse("cohorts:practice_panel_csv", args=["no-such-cohort"])).status_code == 404
    assert api_client(practice_admin).get("/api/v1/practice/cohorts/no-such-cohort/panel/").status_code == 404


def test_the_cohort_page_links_to_the_panel_and_decisions_for_admins_and_analysts_only(admin_client, reviewed):
    cohort, _, reviewers = reviewed
    url = reverse("cohorts:practice_cohort", args=[cohort.slug])
    page = admin_client.get(url).content.decode()
    assert urls(cohort)["page"] in page and reverse("cohorts:practice_decisions", args=[cohort.slug]) in page
    analyst = factories.PracticeUserFactory(practice_role="analyst")
    assert urls(cohort)["page"] in practice_page_client(analyst).get(url).content.decode()
    as_reviewer = practice_page_client(reviewers[0]).get(url)  # reviewers may not see the cohort page at all
    assert as_reviewer.status_code == 403 or urls(cohort)["page"] not in as_reviewer.content.decode()
