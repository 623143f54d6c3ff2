"""Templates (CSV, XLSX) and the data dictionary, downloadable from the evaluation page."""

import csv
import io

import pytest
from django.urls import reverse

from measures.library import STANDARD_MEASURES
from measures.models import Measure
from outcomes.parsing import NO_DATA_ROWS, parse_outcome_file

pytestmark = pytest.mark.django_db


def units():
    return {m.code: m.unit for m in Measure.objects.all()}


def download(client, partner, evaluation, name):
    return client.get(reverse("outcomes:data_template", args=[partner.slug, evaluation.code, name]))


def signed_plan(partner, lead, evaluation, *, design="did"):
    from datetime import date

    from evaluations import services as evaluation_services

    return evaluation_services.plan_save_draft(
        partner=partner, actor=lead, evaluation=evaluation, design=design,
        baseline_start=date(2024, 4, 1), baseline_end=date(2025, 3, 31),
        follow_up_start=date(2025, 4, 1), follow_up_end=date(2026, 3, 31),
        measures=[{"code": "re_referrals_12m", "direction": "decrease"}, {"code": "entries_to_care", "direction": "decrease"}],
    )  # fmt: skip


@pytest.mark.parametrize("name", ["template.csv", "template.xlsx"])
def test_a_template_uploaded_unchanged_stores_nothing(client, lead, partner, evaluation, name):
    """(Before: the example row read as April 2025's intervention value and overwrote it.)"""
    from outcomes import services
    from outcomes.models import OutcomeValue, Submission
    from tests import factories

    stored = factories.OutcomeValueFactory(submission__evaluation=evaluation, value=31, numerator=31, denominator=100)
    client.force_login(lead)
    response = download(client, partner, evaluation, name)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows, problems = parse_outcome_file(response.content, filename=name, measure_units=units())
    # the example is a note row (CSV) or on a sheet not read (XLSX)
    assert rows == [] and [p.reason for p in problems] == [NO_DATA_ROWS]
    submission = services.submission_upload(
        partner=partner, actor=lead, evaluation=evaluation, filename=name, content=response.content
    )
    assert submission.status == Submission.Status.REJECTED
    assert submission.errors[0]["reason"] == NO_DATA_ROWS
    assert OutcomeValue.objects.get(pk=stored.pk).value == 31 and OutcomeValue.objects.count() == 1


def test_the_examples_show_the_format_and_pass_the_check_once_taken_out_of_their_note(client, viewer, partner, evaluation):
    import openpyxl

    client.force_login(viewer)
    text = download(client, partner, evaluation, "template.csv").content.decode("utf-8-sig")
    note = text.splitlines()[1]
    assert note.startswith("# Example (not read")
    example = "measure,period_start,period_end,group,value,numerator,denominator\n" + note.rsplit(": ", 1)[1] + "\n"
    rows, problems = parse_outcome_file(example.encode(), filename="e.csv", measure_units=units())
    assert problems == [] and rows[0].measure == "re_referrals_12m"

    book = openpyxl.load_workbook(io.BytesIO(download(client, partner, evaluation, "template.xlsx").content))
    assert book.sheetnames == ["Data", "Example (not read)", "Measures (not read)"]
    assert [c.value for c in book["Example (not read)"][2]][:4] == [
        "re_referrals_12m",
        "01/04/2025",
        "30/04/2025",
        "intervention",
    ]


@pytest.mark.parametrize("name", ["template.csv", "template.xlsx"])
def test_the_template_is_pre_filled_from_the_plan_with_the_periods_that_have_ended(
    client, lead, partner, evaluation, name, settings
):
    """Each plan measure x each group the design compares x each whole period of the baseline and
    follow-up windows ended by today, values empty: uploaded as it is, every row asks for a value;
    filled in, it is accepted."""
    from outcomes import services
    from outcomes.models import Submission

    signed_plan(partner, lead, evaluation)
    client.force_login(lead)
    content = download(client, partner, evaluation, name).content
    rows, problems = parse_outcome_file(content, filename=name, measure_units=units())
    # 24 months (April 2024 to March 2026) x 2 measures x 2 groups, none with a value yet
    assert len(problems) == 24 * 2 * 2 and {p.reason for p in problems} == {"Enter a value, or leave the row out."}
    assert {(p.row, p.column) for p in problems} >= {(3 if name.endswith("csv") else 2, "value")}
    if name.endswith("csv"):
        lines = content.decode("utf-8-sig").splitlines()
        assert lines[2] == "re_referrals_12m,01/04/2024,30/04/2024,intervention,,,"
        assert lines[-1] == "entries_to_care,01/03/2026,31/03/2026,comparison,,,"
        filled = "\n".join([lines[0], *(line.replace(",,,", ",12,,") for line in lines[2:])]).encode()
        submission = services.submission_upload(partner=partner, actor=lead, evaluation=evaluation, filename=name, content=filled)
        assert submission.status == Submission.Status.ACCEPTED and submission.row_count == 96


def test_a_pre_post_plan_fills_in_the_intervention_group_at_each_measures_frequency(lead, partner, evaluation):
    from datetime import date

    from outcomes import selectors
    from tests.conftest import in_scope_of

    with in_scope_of():  # the library is the practice team's to change
        Measure.objects.filter(code="entries_to_care").update(frequency="quarterly")
    signed_plan(partner, lead, evaluation, design="pre_post")
    rows = selectors.template_rows(partner=partner, evaluation=evaluation, today=date(2025, 7, 1))
    lines = [",".join(row) for row in rows]
    quarters = [line for line in lines if line.startswith("entries_to_care")]
    assert quarters == [
        f"entries_to_care,{start},{end},intervention,,," for start, end in [
            ("01/04/2024", "30/06/2024"), ("01/07/2024", "30/09/2024"), ("01/10/2024", "31/12/2024"),
            ("01/01/2025", "31/03/2025"), ("01/04/2025", "30/06/2025"),
        ]
    ]  # fmt: skip
    assert len(lines) - len(quarters) == 15  # April 2024 to June 2025, monthly: the periods ended by today


def test_the_data_dictionary_lists_every_measure_with_groups_date_format_and_an_example(client, viewer, partner, evaluation):
    client.force_login(viewer)
    response = download(client, partner, evaluation, "data-dictionary.csv")
    table = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {row["measure"] for row in table} >= {m.code for m in STANDARD_MEASURES}
    row = next(r for r in table if r["measure"] == "cp_plans_rate")
    assert row["groups"] == "intervention, comparison, all" and "DD/MM/YYYY" in row["date_format"]
    # how each measure's child-level rows add up (its declared rule)
    rules = {r["measure"]: r["child_rows"] for r in table}
    assert rules["cp_plans_rate"] == "None: send aggregate rows (a rate needs a population)"
    assert rules["days_referral_to_assessment"] == "Median of the rows' values"
    assert rules["entries_to_care"].startswith("Count") and rules["re_referrals_12m"].startswith("Proportion")
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
