"""The practice team's measure library pages and API: every practice role reads it, only a practice
admin changes it (a new version, the history shown); partners never reach these pages."""

import pytest
from django.urls import reverse

from measures import services
from measures.models import Measure
from pine.models import AuditEvent
from tests import factories
from tests.conftest import token_client, verified_client

pytestmark = pytest.mark.django_db


def form_data(measure: Measure, **changes) -> dict:
    return {**{name: getattr(measure, name) for name in Measure.DEFINITION_FIELDS}, **changes}


@pytest.fixture
def analyst():
    return factories.PracticeUserFactory(practice_role="analyst", email="analyst@pine.example")


def test_the_practice_home_links_to_the_library_and_local_measures(practice_client):
    page = practice_client.get(reverse("practice_home")).content.decode()
    assert reverse("measures:practice_library") in page and reverse("measures:practice_local_measures") in page


def test_a_practice_admin_changes_a_library_measure_as_a_new_version_with_its_history_shown(practice_client, practice_admin):
    measure = Measure.objects.get(code="cla_rate")
    listing = practice_client.get(reverse("measures:practice_library")).content.decode()
    assert "Children looked after" in listing or measure.name in listing
    page = practice_client.get(reverse("measures:practice_measure", args=["cla_rate"])).content.decode()
    assert "Change this measure" in page and "Versions" not in page
    url = reverse("measures:practice_measure_edit", args=["cla_rate"])
    assert practice_client.get(url).status_code == 200
    response = practice_client.post(url, form_data(measure, definition="A sharper definition.", frequency="monthly"))
    assert response.url == reverse("measures:practice_measure", args=["cla_rate"])
    measure.refresh_from_db()
    assert measure.version == 2 and measure.definition == "A sharper definition."
    assert AuditEvent.objects.get(action="measure.update").actor_id == practice_admin.pk
    page = practice_client.get(response.url).content.decode()
    assert "Versions" in page and "A sharper definition." in page and "Quarterly → Monthly" in page
    # The partners see the new version too.
    assert measure.history[0]["frequency"] == "quarterly"


def test_saving_an_unchanged_form_makes_no_new_version(practice_client):
    measure = Measure.objects.get(code="cla_rate")
    practice_client.post(reverse("measures:practice_measure_edit", args=["cla_rate"]), form_data(measure))
    measure.refresh_from_db()
    assert measure.version == 1 and not AuditEvent.objects.filter(action="measure.update").exists()


@pytest.mark.parametrize("changes", [{"name": ""}, {"unit": "furlongs"}, {"polarity": ""}, {"source_fields": "x" * 400}])
def test_bad_input_shows_errors_and_changes_nothing(practice_client, changes):
    measure = Measure.objects.get(code="cla_rate")
    response = practice_client.post(reverse("measures:practice_measure_edit", args=["cla_rate"]), form_data(measure, **changes))
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    measure.refresh_from_db()
    assert measure.version == 1


def test_other_practice_roles_read_the_library_but_cannot_change_it(client, analyst):
    verified_client(client, analyst)
    assert client.get(reverse("measures:practice_library")).status_code == 200
    page = client.get(reverse("measures:practice_measure", args=["cla_rate"])).content.decode()
    assert "Change this measure" not in page
    url = reverse("measures:practice_measure_edit", args=["cla_rate"])
    assert client.get(url).status_code == 403
    assert client.post(url, form_data(Measure.objects.get(code="cla_rate"), name="Changed")).status_code == 403
    api = token_client(analyst)
    assert api.get("/api/v1/practice/measures/cla_rate/").status_code == 200
    assert api.patch("/api/v1/practice/measures/cla_rate/", {"name": "x"}, content_type="application/json").status_code == 403
    assert Measure.objects.get(code="cla_rate").version == 1


def test_partners_get_404_for_the_practice_library_pages_and_api(client, lead, other_lead):
    for user in (lead, other_lead):
        client.force_login(user)
        for url in (
            reverse("measures:practice_library"),
            reverse("measures:practice_measure", args=["cla_rate"]),
            reverse("measures:practice_measure_edit", args=["cla_rate"]),
            reverse("measures:practice_local_measures"),
        ):
            assert client.get(url).status_code == 404, url
        api = token_client(user)
        assert api.get("/api/v1/practice/measures/").status_code == 404
        assert api.patch("/api/v1/practice/measures/cla_rate/", {"name": "x"}, content_type="application/json").status_code == 404


def test_a_local_measure_is_not_a_library_measure_on_practice_pages(practice_client, practice_admin, lead, partner, evaluation):
    services.measure_local_create(
        partner=partner, actor=lead, evaluation=evaluation, code="my_local", name="Mine", definition="Ours.", unit="count",
        polarity="higher",
    )  # fmt: skip
    assert practice_client.get(reverse("measures:practice_measure", args=["my_local"])).status_code == 404
    assert practice_client.get(reverse("measures:practice_measure_edit", args=["my_local"])).status_code == 404
    assert "Mine" not in practice_client.get(reverse("measures:practice_library")).content.decode()
    api = token_client(practice_admin)
    assert api.get("/api/v1/practice/measures/my_local/").status_code == 404
    assert "my_local" not in [m["code"] for m in api.get("/api/v1/practice/measures/?limit=100").json()["results"]]
    with pytest.raises(Exception, match="local measure"):
        services.measure_update(actor=practice_admin, measure=Measure.objects.get(code="my_local"), name="Changed")


def test_a_practice_admin_changes_the_library_through_the_api(practice_admin):
    api = token_client(practice_admin)
    url = "/api/v1/practice/measures/entries_to_care/"
    changed = api.patch(url, {"definition": "New words.", "source_fields": "Episodes: DECOM"}, content_type="application/json")
    assert changed.status_code == 200
    body = changed.json()
    assert body["version"] == 2 and body["definition"] == "New words." and body["local"] is False
    assert body["history"][0]["until"] is None and body["history"][1]["changes"] == []
    assert ["Definition", body["history"][0]["changes"][0][1], "New words."] == body["history"][0]["changes"][0]
    for bad in ({"unit": "furlongs"}, {"name": ""}, {"frequency": 3}):
        refused = api.patch(url, bad, content_type="application/json")
        assert refused.status_code == 400 and set(bad) <= set(refused.json()), bad
    assert api.patch(url, "nonsense", content_type="application/json").status_code == 400
    assert api.patch("/api/v1/practice/measures/no_such/", {"name": "x"}, content_type="application/json").status_code == 404
    assert Measure.objects.get(code="entries_to_care").version == 2


def test_partner_measure_pages_show_the_library_with_versions(client, lead, other_lead, partner, other_partner, practice_admin):
    measure = Measure.objects.get(code="cla_rate")
    services.measure_update(actor=practice_admin, measure=measure, definition="Changed for everyone.")
    for user, slug in ((lead, partner.slug), (other_lead, other_partner.slug)):
        client.force_login(user)
        page = client.get(reverse("measures:measure", args=[slug, "cla_rate"])).content.decode()
        assert "Changed for everyone." in page and "Versions" in page and "Change this measure" not in page
        assert client.get(reverse("evaluations:measures", args=[slug])).status_code == 200
    # A partner's page of another partner: 404.
    assert client.get(reverse("measures:measure", args=[partner.slug, "cla_rate"])).status_code == 404


def test_the_local_measures_list_makes_a_fixed_number_of_queries(
    practice_client, django_assert_max_num_queries, lead, other_lead, partner, evaluation, other_partner, other_evaluation
):
    for n in range(6):
        for p, e, actor in ((partner, evaluation, lead), (other_partner, other_evaluation, other_lead)):
            services.measure_local_create(
                partner=p,
                actor=actor,
                evaluation=e,
                code=f"m_{n}",
                name=f"M {n}",
                definition="d",
                unit="count",
                polarity="higher",
            )
    practice_client.get(reverse("measures:practice_local_measures"))  # warm the session and caches
    with django_assert_max_num_queries(12):
        response = practice_client.get(reverse("measures:practice_local_measures"))
    assert response.content.decode().count("Promote<span") == 12


def test_every_measure_declares_how_child_rows_add_up_and_a_change_is_a_new_version(client, practice_admin, lead, partner):
    declared = dict(Measure.objects.filter(partner__isnull=True).values_list("code", "child_aggregation"))
    assert all(declared.values()) and declared["days_referral_to_assessment"] == "median"
    assert declared["entries_to_care"] == "count" and declared["re_referrals_12m"] == "proportion"
    api = token_client(practice_admin)
    refused = api.patch(
        "/api/v1/practice/measures/entries_to_care/", {"child_aggregation": "median"}, content_type="application/json"
    )
    assert refused.status_code == 400 and "child_aggregation" in refused.json()
    url = "/api/v1/practice/measures/days_referral_to_assessment/"
    changed = api.patch(url, {"child_aggregation": "mean"}, content_type="application/json").json()
    assert changed["child_aggregation"] == "mean" and changed["version"] == 2
    assert changed["history"][0]["changes"][0][0] == "How child rows add up"
    client.force_login(lead)
    page = client.get(reverse("measures:measure", args=[partner.slug, "days_referral_to_assessment"])).content.decode()
    assert "How child rows add up" in page and "Mean of the rows&#x27; values" in page
    dictionary = client.get(
        reverse(
            "outcomes:data_template",
            args=[partner.slug, factories.EvaluationFactory(application__partner=partner).code, "data-dictionary.csv"],
        )
    )
    assert "child_rows" in dictionary.content.decode("utf-8-sig").splitlines()[0]
