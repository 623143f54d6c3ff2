"""The partner hub: the task list with the next thing to do, the status, and "your data" (the
completeness of the periods and a control chart per measure), from stored figures; a partner sees
only its own."""

import pytest
from django.urls import reverse

from reports.dashboards import services
from tests.conftest import in_scope_of
from tests.reports.dashboard_helpers import evaluation_with_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluations(partner, other_partner):
    with in_scope_of():
        own = evaluation_with_data(partner=partner, months=24, title="Family group conferences")
        other = evaluation_with_data(partner=other_partner, months=24, title="Their evaluation")
        services.figures_refresh_now(evaluation=own)
        services.figures_refresh_now(evaluation=other)
    return own, other


def test_the_hub_shows_the_task_list_status_and_control_charts(client, lead, partner, evaluations):
    own, _ = evaluations
    client.force_login(lead)
    page = client.get(reverse("reports:evaluation", args=[partner.slug, own.code])).content.decode()
    assert "govuk-task-list" in page and "Next thing to do: Outcome data" in page
    assert "Data received through December 2025." in page
    assert "At risk" in page and "How the status is worked out" in page
    assert "Your data" in page and "Completeness of your periods" in page and "Received, not approved" in page
    assert 'id="spc-0-title"' in page and "Special cause variation: improving" in page
    assert "Intervention starts" in page and "Values of " in page and "Control limits" in page


def test_the_hub_downloads_a_chart_as_png_and_its_data_as_csv(client, lead, partner, evaluations):
    own, _ = evaluations
    client.force_login(lead)
    png = client.get(reverse("reports:evaluation_chart", args=[partner.slug, own.code, "re_referrals_12m", "png"]))
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    csv = client.get(reverse("reports:evaluation_chart", args=[partner.slug, own.code, "re_referrals_12m", "csv"]))
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Period start,Period end,Intervention,Approved,Lower limit,Upper limit"
    assert lines[1].startswith("2024-01-01,2024-01-31,30.0,Yes,")
    for bad in (("re_referrals_12m", "exe"), ("no_such_measure", "png")):
        assert client.get(reverse("reports:evaluation_chart", args=[partner.slug, own.code, *bad])).status_code == 404


def test_another_partners_hub_and_charts_are_404(client, lead, partner, evaluations):
    _, other = evaluations
    client.force_login(lead)
    hub = client.get(reverse("reports:evaluation", args=[partner.slug, other.code]))
    chart = client.get(reverse("reports:evaluation_chart", args=[partner.slug, other.code, "re_referrals_12m", "png"]))
    assert hub.status_code == chart.status_code == 404
    assert "Their evaluation" not in hub.content.decode()


def test_a_hub_without_figures_says_they_are_being_worked_out(client, lead, partner, evaluation):
    client.force_login(lead)
    page = client.get(reverse("reports:evaluation", args=[partner.slug, evaluation.code])).content.decode()
    assert "being worked out" in page and "govuk-task-list" not in page
