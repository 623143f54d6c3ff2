"""Importing a statutory return by page and API: queued, read by a worker, its measures stored
through the outcome upload's path; the population by year; never another partner's."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from outcomes.models import OutcomeValue, Submission
from returns.models import ReturnImport
from tests.conftest import in_scope_of, token_client
from tests.returns.helpers import bad_census, small_census

pytestmark = pytest.mark.django_db


def workers():
    """Run the Celery tasks queued on commit (eager mode runs them in-process)."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def census_file(data: bytes = None, name: str = "cin-2025.xml"):
    return SimpleUploadedFile(name, data or small_census(), content_type="application/xml")


def import_page(partner, evaluation):
    return reverse("returns:import", args=[partner.slug, evaluation.code])


def test_the_page_imports_a_census_and_shows_its_measures(client, contributor, partner, evaluation):
    client.force_login(contributor)
    page = client.get(import_page(partner, evaluation))
    assert page.status_code == 200 and "Import a statutory return" in page.content.decode()
    with workers():
        response = client.post(
            import_page(partner, evaluation), {"files": [census_file()], "frequency": "annual", "groups": "all"}
        )
    row = ReturnImport.objects.get()
    assert response.url == reverse("returns:detail", args=[partner.slug, row.code])
    shown = client.get(response.url).content.decode()
    assert "Measures computed" in shown and "cin_referrals" in shown
    row.refresh_from_db()
    assert row.status == "done" and row.kind == "cin" and row.files == []
    assert row.submission.source == "cin" and row.submission.status == "accepted"
    assert OutcomeValue.objects.filter(partner=partner, measure__code="cin_referrals").get().value == 3


@pytest.mark.parametrize("dry_run", [False, True])
def test_the_result_page_names_each_measure_and_shows_values_at_its_precision(client, contributor, partner, evaluation,
                                                                             dry_run):  # fmt: skip
    """One referral in three ended in no further action: 33.3333 stored, 33.3% shown, under the
    measure's name (its code beside it); a count is shown whole."""
    client.force_login(contributor)
    form = {"files": [census_file()], "frequency": "annual", "groups": "all"}
    with workers():
        response = client.post(import_page(partner, evaluation), {**form, "dry_run": "on"} if dry_run else form)
    row = ReturnImport.objects.get()
    assert row.dry_run is dry_run and row.summary["measures"]["referrals_nfa"][0]["value"] == 33.3333
    shown = client.get(response.url).content.decode()
    assert "Referrals ending in no further action" in shown and "<code>referrals_nfa</code>" in shown
    assert ">33.3%<" in shown and "33.3333" not in shown
    assert "Referrals to children&#x27;s social care" in shown and ">3<" in shown and ">3.0<" not in shown
    assert "not estimable" in shown  # the rate, without a population


def test_the_page_lists_the_problems_of_a_refused_return(client, contributor, partner, evaluation):
    client.force_login(contributor)
    with workers():
        response = client.post(import_page(partner, evaluation), {"files": [census_file(bad_census())], "groups": "all"})
    shown = client.get(response.url).content.decode()
    assert "nothing from it was stored" in shown and "CINreferralDate" in shown and "SYN" not in shown
    assert not Submission.objects.exists()


def test_the_page_needs_a_file_and_a_list_for_list_groups(client, contributor, partner, evaluation):
    client.force_login(contributor)
    response = client.post(import_page(partner, evaluation), {"groups": "lists"})
    text = response.content.decode()
    assert response.status_code == 200 and "Choose the return" in text and "intervention group" in text
    assert not ReturnImport.objects.exists()


def test_the_periods_are_asked_with_day_month_and_year_boxes(client, contributor, partner, evaluation):
    """The GOV.UK date input, not a browser's date picker (which shows its own order of day and
    month); a date that does not exist gets a GOV.UK message and queues nothing."""
    client.force_login(contributor)
    page = client.get(import_page(partner, evaluation)).content.decode()
    assert 'type="date"' not in page
    for name in ("period_from", "period_to"):
        for part in ("day", "month", "year"):
            assert f'name="{name}-{part}"' in page
    form = {"files": [census_file()], "frequency": "annual", "groups": "all"}
    dates = {"period_from-day": "1", "period_from-month": "4", "period_from-year": "2023"}
    with workers():
        response = client.post(
            import_page(partner, evaluation),
            {**form, **dates, "period_to-day": "31", "period_to-month": "3", "period_to-year": "2024"},
        )
    row = ReturnImport.objects.get()
    assert response.status_code == 302
    assert (row.period_from.isoformat(), row.period_to.isoformat()) == ("2023-04-01", "2024-03-31")
    census = census_file()
    response = client.post(
        import_page(partner, evaluation),
        {**form, "files": [census], **dates, "period_to-day": "31", "period_to-month": "2", "period_to-year": "2024"},
    )
    assert response.status_code == 200 and "The last day of the last period must be a real date" in response.content.decode()
    assert ReturnImport.objects.count() == 1


def test_a_children_list_is_kept_only_as_pseudonyms(client, contributor, partner, evaluation):
    client.force_login(contributor)
    listed = SimpleUploadedFile("children.csv", b"SYN0000001\nSYN0000002\n", content_type="text/csv")
    with workers():
        client.post(import_page(partner, evaluation),
                    {"files": [census_file()], "frequency": "annual", "groups": "lists", "intervention": listed})  # fmt: skip
    row = ReturnImport.objects.get()
    assert len(row.intervention_children) == 2 and all(c.startswith("pseudo:") for c in row.intervention_children)
    assert "SYN" not in str(row.intervention_children)
    assert OutcomeValue.objects.get(measure__code="cin_referrals", group="intervention").value == 2


def test_the_population_is_entered_on_the_page(client, contributor, partner, evaluation):
    client.force_login(contributor)
    response = client.post(import_page(partner, evaluation), {"action": "population", "year": "2024", "children": "61250"})
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.population == {"2024": 61250}
    client.post(import_page(partner, evaluation), {"action": "population", "year": "2024", "children": "0"})
    evaluation.refresh_from_db()
    assert evaluation.population == {}


def test_viewers_cannot_import(client, viewer, partner, evaluation):
    client.force_login(viewer)
    assert "Only contributors and leads" in client.get(import_page(partner, evaluation)).content.decode()
    assert client.post(import_page(partner, evaluation), {"files": [census_file()]}).status_code == 403
    assert not ReturnImport.objects.exists()


def test_another_partners_evaluation_and_import_are_not_found(client, contributor, partner, other_lead, other_partner,
                                                               other_evaluation):  # fmt: skip
    client.force_login(other_lead)
    with workers():
        client.post(import_page(other_partner, other_evaluation), {"files": [census_file()], "groups": "all"})
    assert not ReturnImport.objects.exists()  # this test's body sees only its partner's rows
    with in_scope_of(other_partner):
        theirs = ReturnImport.objects.get()
    client.force_login(contributor)
    assert client.get(reverse("returns:import", args=[partner.slug, other_evaluation.code])).status_code == 404
    assert client.post(reverse("returns:import", args=[partner.slug, other_evaluation.code]),
                       {"files": [census_file()]}).status_code == 404  # fmt: skip
    assert client.get(reverse("returns:detail", args=[partner.slug, theirs.code])).status_code == 404
    api = token_client(contributor)
    assert api.get(reverse("returns_api:api_import", args=[partner.slug, theirs.code])).status_code == 404
    assert api.post(reverse("returns_api:api_imports", args=[partner.slug, other_evaluation.code]),
                    {"files": [census_file()]}).status_code == 404  # fmt: skip
    assert api.put(reverse("evaluations_api:api_population", args=[partner.slug, other_evaluation.code]),
                   {"population": {"2024": 5}}, content_type="application/json").status_code == 404  # fmt: skip
    with in_scope_of(other_partner):
        assert ReturnImport.objects.count() == 1


def test_the_api_takes_several_files_as_multipart_and_reports_the_import(contributor, partner, evaluation):
    api = token_client(contributor)
    url = reverse("returns_api:api_imports", args=[partner.slug, evaluation.code])
    with workers():
        response = api.post(url, {"files": [census_file(small_census(2024), "cin-2024.xml"), census_file()],
                                  "frequency": "annual", "dry_run": "true"})  # fmt: skip
    assert response.status_code == 201, response.content
    code = response.json()["code"]
    detail = api.get(reverse("returns_api:api_import", args=[partner.slug, code])).json()
    assert detail["status"] == "done" and detail["kind"] == "cin" and detail["dry_run"] is True
    periods = [row["period_start"] for row in detail["measures"]["cin_referrals"]]
    assert periods == ["2023-04-01", "2024-04-01"]  # two collection years, one period each
    submission = Submission.objects.get(code=detail["submission"])
    assert submission.status == "checked" and submission.source == "cin"
    assert not OutcomeValue.objects.exists()
    listed = api.get(url).json()
    assert [item["code"] for item in listed["results"]] == [code]


def test_the_api_refuses_what_is_no_return(contributor, partner, evaluation):
    api = token_client(contributor)
    with workers():
        response = api.post(reverse("returns_api:api_imports", args=[partner.slug, evaluation.code]),
                            {"files": [SimpleUploadedFile("x.csv", b"a,b\n1,2\n")]})  # fmt: skip
    detail = api.get(reverse("returns_api:api_import", args=[partner.slug, response.json()["code"]])).json()
    assert detail["status"] == "refused" and "not a statutory return" in detail["problems"][0]["message"]


def test_the_population_through_the_api(contributor, partner, evaluation):
    api = token_client(contributor)
    url = reverse("evaluations_api:api_population", args=[partner.slug, evaluation.code])
    response = api.put(url, {"population": {"2023": 60000, "2024": 61250}}, content_type="application/json")
    assert response.status_code == 200 and response.json()["population"] == {"2023": 60000, "2024": 61250}
    bad = api.put(url, {"population": {"1800": 5}}, content_type="application/json")
    assert bad.status_code == 400
    assert api.get(reverse("evaluations_api:api_evaluation", args=[partner.slug, evaluation.code])).json()["population"] == {
        "2023": 60000, "2024": 61250}  # fmt: skip


def test_the_page_names_every_return_it_reads(client, contributor, partner, evaluation):
    """The upload's hint names the three returns PINE reads (it named the CIN census only); the
    periods' date boxes are tested above."""
    client.force_login(contributor)
    page = client.get(import_page(partner, evaluation)).content.decode()
    for words in ("a CIN census (XML)", "an SSDA903 return", "an Ofsted Annex A workbook (xlsx)", "DfE or Ofsted"):
        assert words in page
    assert 'type="date"' not in page


def test_the_page_takes_an_ssda903_returns_tables_as_several_files(client, contributor, partner, evaluation):
    """The ten CSV tables chosen together in the one file box: read as one SSDA903 return, its
    hand-worked answers stored (returns.ssda903.synthetic.scenario)."""
    from returns.ssda903.synthetic import scenario

    client.force_login(contributor)
    files = [SimpleUploadedFile(name, data, content_type="text/csv") for name, data in scenario().csv_files().items()]
    assert len(files) == 10
    form = {"files": files, "frequency": "annual", "groups": "all", "period_from-day": "1", "period_from-month": "4",
            "period_from-year": "2023", "period_to-day": "31", "period_to-month": "3", "period_to-year": "2024"}  # fmt: skip
    with workers():
        response = client.post(import_page(partner, evaluation), form)
    row = ReturnImport.objects.get()
    assert response.url == reverse("returns:detail", args=[partner.slug, row.code])
    assert (row.status, row.kind, row.file_count, row.files) == ("done", "ssda903", 10, [])
    assert row.submission.source == "ssda903" and row.submission.status == "accepted"
    stored = OutcomeValue.objects.get(measure__code="re_entries_12m", group="all")
    assert (stored.numerator, stored.denominator) == (1, 4)
    assert "Re-entries to care within 12 months" in client.get(response.url).content.decode()
