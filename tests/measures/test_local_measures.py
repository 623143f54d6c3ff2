"""Partners' local measures: added to their own evaluation, usable like a library measure by that
partner only (lists, data dictionary, templates, plan, uploads, API), invisible to every other
partner (the same 404 as a missing one), and promoted into the library by a practice admin."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from measures import services
from measures.library import STANDARD_MEASURES
from measures.models import Measure
from outcomes import services as outcome_services
from outcomes.models import OutcomeValue
from pine.models import AuditEvent
from tests import factories
from tests.conftest import in_scope_of, token_client, verified_client

pytestmark = pytest.mark.django_db

CODE = "family_time_hours"
FIELDS = {
    "name": "Hours of family time",
    "definition": "Hours of supervised family time per child in the period.",
    "unit": "count",
    "polarity": "higher",
    "numerator": "",
    "denominator": "",
    "frequency": "monthly",
    "source": "local",
    "source_fields": "Contact log: hours",
}
ROWS = f"measure,period_start,period_end,group,value\n{CODE},01/04/2025,30/04/2025,intervention,12\n"


def add_local(partner, evaluation, actor, code=CODE, **fields):
    return services.measure_local_create(partner=partner, actor=actor, evaluation=evaluation, code=code, **{**FIELDS, **fields})


def upload(partner, evaluation, actor, text=ROWS):
    return outcome_services.submission_upload(
        partner=partner, actor=actor, evaluation=evaluation, filename="data.csv", content=text.encode()
    )


# --- adding one -------------------------------------------------------------------------------------


def test_a_contributor_adds_a_local_measure_to_their_evaluation_by_page(client, contributor, partner, evaluation):
    client.force_login(contributor)
    url = reverse("evaluations:measure_create", args=[partner.slug, evaluation.code])
    assert client.get(url).status_code == 200
    response = client.post(url, {"code": CODE, **FIELDS})
    assert response.url == reverse("measures:measure", args=[partner.slug, CODE])
    measure = Measure.objects.get(code=CODE)
    assert (measure.partner, measure.evaluation, measure.created_by) == (partner, evaluation, contributor)
    assert measure.is_local and measure.version == 1
    assert AuditEvent.objects.get(action="measure.local_create").partner_id == partner.pk
    page = client.get(response.url).content.decode()
    assert "Hours of family time" in page and "Only your partnership sees this measure" in page


def test_a_lead_adds_a_local_measure_through_the_api(lead, partner, evaluation):
    api = token_client(lead)
    base = f"/api/v1/partners/{partner.slug}/local-measures/"
    created = api.post(base, {"evaluation": str(evaluation.code), "code": CODE, **FIELDS}, content_type="application/json")
    assert created.status_code == 201, created.json()
    assert created.json()["local"] is True and created.json()["evaluation"] == str(evaluation.code)
    assert [m["code"] for m in api.get(base).json()["results"]] == [CODE]
    assert api.get(f"{base}{CODE}/").json()["name"] == "Hours of family time"


def test_viewers_cannot_add_or_change_local_measures(client, viewer, lead, partner, evaluation):
    add_local(partner, evaluation, lead)
    client.force_login(viewer)
    assert client.get(reverse("evaluations:measure_create", args=[partner.slug, evaluation.code])).status_code == 403
    assert client.post(reverse("evaluations:measure_create", args=[partner.slug, evaluation.code]), FIELDS).status_code == 403
    assert client.get(reverse("measures:measure_edit", args=[partner.slug, CODE])).status_code == 403
    # ...but they can read it, without the change button.
    page = client.get(reverse("measures:measure", args=[partner.slug, CODE])).content.decode()
    assert "Hours of family time" in page and "Change this measure" not in page
    api = token_client(viewer)
    body = {"evaluation": str(evaluation.code), "code": "other", **FIELDS}
    assert api.post(f"/api/v1/partners/{partner.slug}/local-measures/", body, content_type="application/json").status_code == 403
    assert Measure.objects.filter(partner=partner).count() == 1


def test_a_contributor_changes_a_local_measure_as_a_new_version(client, contributor, lead, partner, evaluation):
    add_local(partner, evaluation, lead)
    client.force_login(contributor)
    url = reverse("measures:measure_edit", args=[partner.slug, CODE])
    assert client.get(url).status_code == 200
    response = client.post(url, {**FIELDS, "definition": "Hours per child, per month."})
    assert response.status_code == 302
    measure = Measure.objects.get(code=CODE)
    assert measure.version == 2 and measure.history[0]["definition"] == FIELDS["definition"]
    page = client.get(reverse("measures:measure", args=[partner.slug, CODE])).content.decode()
    assert "Versions" in page and "Hours per child, per month." in page
    api = token_client(contributor)
    patched = api.patch(
        f"/api/v1/partners/{partner.slug}/local-measures/{CODE}/", {"unit": "days"}, content_type="application/json"
    )
    assert patched.status_code == 200 and patched.json()["version"] == 3 and len(patched.json()["history"]) == 3


def test_a_local_code_is_unique_within_the_partner_and_never_a_library_code(
    client, lead, other_lead, partner, evaluation, other_partner, other_evaluation
):
    add_local(partner, evaluation, lead)
    client.force_login(lead)
    url = reverse("evaluations:measure_create", args=[partner.slug, evaluation.code])
    for code, message in (
        (CODE, "You already have a local measure with this code"),
        ("cla_rate", "A library measure already has this code"),
    ):
        response = client.post(url, {**FIELDS, "code": code})
        assert response.status_code == 200
        page = response.content.decode()
        assert "There is a problem" in page and message in page
    # Another partner may use the same code for a measure of its own: it never sees this one.
    with in_scope_of(other_partner):
        add_local(other_partner, other_evaluation, other_lead, name="Their own")
    with in_scope_of():  # across partners
        assert Measure.objects.filter(code=CODE).count() == 2
    api = token_client(lead)
    body = {"evaluation": str(evaluation.code), "code": "cla_rate", **FIELDS}
    refused = api.post(f"/api/v1/partners/{partner.slug}/local-measures/", body, content_type="application/json")
    assert refused.status_code == 400 and "code" in refused.json()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {**FIELDS, "code": "Not a code!"},
        {**FIELDS, "code": "fine_code", "unit": "furlongs"},
        {**FIELDS, "code": "fine_code", "name": ""},
        {**FIELDS, "code": "x" * 200},
    ],
)
def test_bad_input_shows_errors_on_the_page_and_in_the_api_never_a_500(client, lead, partner, evaluation, data):
    client.force_login(lead)
    response = client.post(reverse("evaluations:measure_create", args=[partner.slug, evaluation.code]), data)
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    api = token_client(lead)
    body = {"evaluation": str(evaluation.code), **data}
    assert api.post(f"/api/v1/partners/{partner.slug}/local-measures/", body, content_type="application/json").status_code == 400
    assert not Measure.objects.filter(partner=partner).exists()


def test_the_api_refuses_another_partners_evaluation_and_garbage(lead, partner, other_evaluation):
    api = token_client(lead)
    base = f"/api/v1/partners/{partner.slug}/local-measures/"
    body = {"evaluation": str(other_evaluation.code), "code": CODE, **FIELDS}
    refused = api.post(base, body, content_type="application/json")
    assert refused.status_code == 400 and "evaluation" in refused.json()
    assert api.post(base, "not json", content_type="application/json").status_code == 400
    assert api.patch(f"{base}nope/", {"name": "x"}, content_type="application/json").status_code == 404


# --- the partner uses it like a library measure ----------------------------------------------------------


def test_the_partner_sees_its_local_measure_in_lists_dictionary_templates_plan_and_api(client, lead, partner, evaluation):
    add_local(partner, evaluation, lead)
    client.force_login(lead)
    assert "Hours of family time" in client.get(reverse("evaluations:measures", args=[partner.slug])).content.decode()
    dictionary = client.get(reverse("outcomes:data_template", args=[partner.slug, evaluation.code, "data-dictionary.csv"]))
    rows = {row["measure"]: row for row in csv.DictReader(io.StringIO(dictionary.content.decode("utf-8-sig")))}
    assert rows[CODE]["name"] == "Hours of family time" and "cla_rate" in rows
    workbook = client.get(reverse("outcomes:data_template", args=[partner.slug, evaluation.code, "template.xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content))["Measures (not read)"]
    assert CODE in [row[0] for row in sheet.iter_rows(values_only=True)]
    assert CODE in client.get(reverse("evaluations:plan", args=[partner.slug, evaluation.code])).content.decode()
    assert CODE in client.get(reverse("reports:evaluation", args=[partner.slug, evaluation.code])).content.decode()
    measures = token_client(lead).get(f"/api/v1/partners/{partner.slug}/measures/?limit=100").json()["results"]
    assert {m["code"]: m["local"] for m in measures}[CODE] is True and len(measures) == len(STANDARD_MEASURES) + 1


def test_the_plan_names_a_local_measure_of_its_own_partner_only(
    lead, other_lead, partner, evaluation, other_partner, other_evaluation
):
    add_local(partner, evaluation, lead)
    body = {"measures": [{"code": CODE, "direction": "increase"}]}
    mine = token_client(lead).put(
        f"/api/v1/partners/{partner.slug}/evaluations/{evaluation.code}/plan/", body, content_type="application/json"
    )
    assert mine.status_code == 200, mine.json()
    theirs = token_client(other_lead).put(
        f"/api/v1/partners/{other_partner.slug}/evaluations/{other_evaluation.code}/plan/", body, content_type="application/json"
    )
    assert theirs.status_code == 400 and f"Unknown measure codes: {CODE}" in str(theirs.json())


def test_a_local_measure_is_uploaded_by_its_partner_and_unknown_in_another_partners_upload(
    lead, other_lead, partner, evaluation, other_partner, other_evaluation
):
    measure = add_local(partner, evaluation, lead)
    mine = upload(partner, evaluation, lead)
    assert mine.status == "accepted", mine.errors
    assert OutcomeValue.objects.get(evaluation=evaluation).measure == measure
    with in_scope_of(other_partner):
        theirs = upload(other_partner, other_evaluation, other_lead)
        assert theirs.status == "rejected"
        assert theirs.errors[0]["column"] == "measure" and theirs.errors[0]["reason"].startswith("Unknown measure code")
        assert not OutcomeValue.objects.filter(evaluation=other_evaluation).exists()


# --- another partner never sees it -----------------------------------------------------------------------


def test_another_partner_gets_the_same_404_as_a_missing_measure_by_page_and_api(
    client, lead, other_lead, partner, evaluation, other_partner, other_evaluation
):
    add_local(partner, evaluation, lead)
    client.force_login(other_lead)
    for code in (CODE, "no_such_measure"):
        assert client.get(reverse("measures:measure", args=[other_partner.slug, code])).status_code == 404
        assert client.get(reverse("measures:measure_edit", args=[other_partner.slug, code])).status_code == 404
    # ...and the first partner's own URLs are not theirs to open.
    assert client.get(reverse("measures:measure", args=[partner.slug, CODE])).status_code == 404
    assert client.get(reverse("evaluations:measures", args=[partner.slug])).status_code == 404
    assert client.get(reverse("evaluations:measure_create", args=[partner.slug, evaluation.code])).status_code == 404
    assert client.get(reverse("evaluations:measure_create", args=[other_partner.slug, evaluation.code])).status_code == 404
    assert "Hours of family time" not in client.get(reverse("evaluations:measures", args=[other_partner.slug])).content.decode()
    for name in ("data-dictionary.csv", "template.xlsx", "template.csv"):
        content = client.get(reverse("outcomes:data_template", args=[other_partner.slug, other_evaluation.code, name])).content
        assert CODE.encode() not in content, name
    assert CODE not in client.get(reverse("evaluations:plan", args=[other_partner.slug, other_evaluation.code])).content.decode()
    api = token_client(other_lead)
    missing = api.get(f"/api/v1/partners/{other_partner.slug}/local-measures/no_such_measure/")
    hidden = api.get(f"/api/v1/partners/{other_partner.slug}/local-measures/{CODE}/")
    assert hidden.status_code == missing.status_code == 404 and hidden.json() == missing.json()
    assert api.get(f"/api/v1/partners/{partner.slug}/local-measures/{CODE}/").status_code == 404
    assert api.get(f"/api/v1/partners/{other_partner.slug}/local-measures/").json()["results"] == []
    for url in ("/api/v1/measures/?limit=100", f"/api/v1/partners/{other_partner.slug}/measures/?limit=100"):
        assert CODE not in [m["code"] for m in api.get(url).json()["results"]]


def test_row_level_security_hides_a_local_measure_from_another_partners_transaction(lead, partner, evaluation, other_partner):
    from pine.tenancy import partner_scope, user_scope

    add_local(partner, evaluation, lead)
    with partner_scope(other_partner.pk):
        assert not Measure.objects.filter(code=CODE).exists()  # no application filter at all
        assert Measure.objects.filter(code="cla_rate").exists()  # the library is everyone's
        # ...nor can it change the library.
        assert Measure.objects.filter(code="cla_rate").update(name="Changed") == 0
    with partner_scope(partner.pk):
        assert Measure.objects.filter(code=CODE).exists()
    with user_scope(lead.pk):
        assert not Measure.objects.filter(code=CODE).exists()
    assert Measure.objects.get(code="cla_rate").name != "Changed"


# --- promotion -------------------------------------------------------------------------------------------


def test_a_practice_admin_promotes_a_local_measure_and_the_partners_data_keeps_working(
    client, lead, other_lead, partner, evaluation, other_partner, other_evaluation, practice_admin
):
    measure = add_local(partner, evaluation, lead)
    token_client(lead).put(
        f"/api/v1/partners/{partner.slug}/evaluations/{evaluation.code}/plan/",
        {"measures": [{"code": CODE, "direction": "increase"}]},
        content_type="application/json",
    )
    assert upload(partner, evaluation, lead).status == "accepted"
    verified_client(client, practice_admin)
    listing = client.get(reverse("measures:practice_local_measures")).content.decode()
    assert "Hours of family time" in listing and partner.name in listing and "Promote" in listing
    url = reverse("measures:practice_promote", args=[partner.slug, CODE])
    assert "Promote Hours of family time" in client.get(url).content.decode()
    response = client.post(url)
    assert response.url == reverse("measures:practice_measure", args=[CODE])
    measure.refresh_from_db()
    assert measure.partner is None and measure.evaluation is None and measure.code == CODE
    assert (measure.promoted_from, measure.promoted_by) == (partner, practice_admin) and measure.promoted_at
    event = AuditEvent.objects.get(action="measure.promote")
    assert event.partner_id == partner.pk and event.changes["from_partner"] == partner.slug
    assert "Promoted from" in client.get(response.url).content.decode()
    # The partner's stored values, plan and uploads keep working...
    assert OutcomeValue.objects.get(evaluation=evaluation).measure_id == measure.pk
    assert upload(partner, evaluation, lead, ROWS.replace(",12", ",13")).status == "accepted"
    plan = token_client(lead).get(f"/api/v1/partners/{partner.slug}/evaluations/{evaluation.code}/plan/").json()
    assert plan["measures"] == [{"code": CODE, "direction": "increase", "role": "primary"}]
    # ...and now everyone sees it.
    assert upload(other_partner, other_evaluation, other_lead).status == "accepted"
    library = token_client(other_lead).get("/api/v1/measures/?limit=100").json()["results"]
    assert {m["code"]: m["local"] for m in library}[CODE] is False
    assert "Hours of family time" not in client.get(reverse("measures:practice_local_measures")).content.decode()


def test_promotion_through_the_api_and_its_refusals(
    lead, other_lead, partner, evaluation, other_partner, other_evaluation, practice_admin
):
    add_local(partner, evaluation, lead)
    add_local(other_partner, other_evaluation, other_lead, code="shared_code")
    add_local(partner, evaluation, lead, code="shared_code")
    api = token_client(practice_admin)
    listed = api.get("/api/v1/practice/local-measures/").json()["results"]
    assert sorted((m["partner"], m["code"]) for m in listed) == [
        (partner.slug, CODE), (partner.slug, "shared_code"), (other_partner.slug, "shared_code")
    ]  # fmt: skip
    # A code another partner's local measure uses cannot become a library code.
    clash = api.post(f"/api/v1/practice/local-measures/{partner.slug}/shared_code/promote/")
    assert clash.status_code == 400 and "code" in clash.json()
    assert Measure.objects.filter(code="shared_code", partner__isnull=False).count() == 2
    assert api.post(f"/api/v1/practice/local-measures/{partner.slug}/nope/promote/").status_code == 404
    promoted = api.post(f"/api/v1/practice/local-measures/{partner.slug}/{CODE}/promote/")
    assert promoted.status_code == 200 and promoted.json()["promoted_from"] == partner.slug and promoted.json()["local"] is False
    # Promoted once: it is no longer a local measure.
    assert api.post(f"/api/v1/practice/local-measures/{partner.slug}/{CODE}/promote/").status_code == 404
    with pytest.raises(Exception, match="already in the library"):
        services.measure_promote(actor=practice_admin, measure=Measure.objects.get(code=CODE))


def test_promotion_refused_on_the_page_shows_the_problem(
    client, lead, other_lead, partner, evaluation, other_partner, other_evaluation, practice_admin
):
    add_local(partner, evaluation, lead)
    add_local(other_partner, other_evaluation, other_lead)
    verified_client(client, practice_admin)
    response = client.post(reverse("measures:practice_promote", args=[partner.slug, CODE]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and "already used" in page
    assert not Measure.objects.filter(code=CODE, partner__isnull=True).exists()


def test_only_a_practice_admin_promotes(client, lead, partner, evaluation):
    add_local(partner, evaluation, lead)
    analyst = factories.PracticeUserFactory(practice_role="analyst", email="analyst@pine.example")
    verified_client(client, analyst)
    listing = client.get(reverse("measures:practice_local_measures"))
    assert listing.status_code == 200 and "Hours of family time" in listing.content.decode()
    assert "Promote" not in listing.content.decode()
    url = reverse("measures:practice_promote", args=[partner.slug, CODE])
    assert client.get(url).status_code == 403 and client.post(url).status_code == 403
    assert token_client(analyst).post(f"/api/v1/practice/local-measures/{partner.slug}/{CODE}/promote/").status_code == 403
    client.force_login(lead)
    assert client.get(reverse("measures:practice_local_measures")).status_code == 404
    assert client.post(url).status_code == 404
    assert token_client(lead).post(f"/api/v1/practice/local-measures/{partner.slug}/{CODE}/promote/").status_code == 404
    with pytest.raises(Exception, match="Only a practice admin"):
        services.measure_promote(actor=analyst, measure=Measure.objects.get(code=CODE))
    assert Measure.objects.get(code=CODE).partner == partner
