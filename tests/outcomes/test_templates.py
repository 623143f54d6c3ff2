"""Templates (CSV, XLSX) and the data dictionary, downloadable from the evaluation page."""

import csv
import io

import pytest
from django.urls import reverse

from measures.library import STANDARD_MEASURES
from measures.models import Measure
from outcomes.parsing import parse_outcome_file

pytestmark = pytest.mark.django_db


def units():
    return {m.code: m.unit for m in Measure.objects.all()}


def download(client, partner, evaluation, name):
    return client.get(reverse("outcomes:data_template", args=[partner.slug, evaluation.code, name]))


@pytest.mark.parametrize("name", ["template.csv", "template.xlsx"])
def test_each_template_passes_the_check_it_is_made_for(client, viewer, partner, evaluation, name):
    client.force_login(viewer)
    response = download(client, partner, evaluation, name)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows, problems = parse_outcome_file(response.content, filename=name, measure_units=units())
    assert problems == [] and rows[0].measure == "re_referrals_12m"


def test_the_data_dictionary_lists_every_measure_with_groups_date_format_and_an_example(client, viewer, partner, evaluation):
    client.force_login(viewer)
    response = download(client, partner, evaluation, "data-dictionary.csv")
    table = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {row["measure"] for row in table} >= {m.code for m in STANDARD_MEASURES}
    row = next(r for r in table if r["measure"] == "cp_plans_rate")
    assert row["groups"] == "intervention, comparison, all" and "DD/MM/YYYY" in row["date_format"]
    examples = "measure,period_start,period_end,group,value,numerator,denominator\n" + "".join(
        r["example_row"] + "\n" for r in table
    )
    rows, problems = parse_outcome_file(examples.encode(), filename="e.csv", measure_units=units())
    assert problems == [] and len(rows) == len(table)
    page = client.get(reverse("reports:evaluation", args=[partner.slug, evaluation.code])).content.decode()
    assert "data-dictionary.csv" in page and "template.xlsx" in page


def test_other_partners_and_unknown_files_get_404(client, other_lead, viewer, partner, other_partner, evaluation):
    client.force_login(viewer)
    assert download(client, partner, evaluation, "secrets.csv").status_code == 404
    client.force_login(other_lead)
    for slug in (partner.slug, other_partner.slug):
        assert client.get(reverse("outcomes:data_template", args=[slug, evaluation.code, "template.csv"])).status_code == 404
