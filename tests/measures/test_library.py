"""The shared measure library: exact definitions with their sources, versioned changes."""

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from measures import services
from measures.library import DETAILS, STANDARD_MEASURES
from measures.models import Measure
from pine import services as pine_services
from pine.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db

ISSUE_MEASURES = {
    "re_referrals_12m", "referrals_nfa", "assessments_45_days", "icpc_15_days", "cp_plans_rate", "repeat_cp_plans",
    "cp_plans_2_years", "cla_rate", "entries_to_care", "re_entries_12m", "placements_3_plus", "long_term_stability",
    "missing_from_care", "care_leavers_eet", "care_leavers_accommodation",
}  # fmt: skip


def test_the_library_holds_the_standard_measures_with_numerators_denominators_and_sources():
    assert ISSUE_MEASURES <= set(Measure.objects.values_list("code", flat=True))
    assert set(DETAILS) == {m.code for m in STANDARD_MEASURES}
    for measure in Measure.objects.filter(code__in=ISSUE_MEASURES):
        assert measure.numerator and measure.denominator and measure.source_fields, measure.code
        assert measure.source in ("cin", "ssda903") and measure.version == 1
    assert Measure.objects.get(code="icpc_15_days").source_fields == "S47ActualStartDate, DateOfInitialCPC"


def test_a_change_to_a_definition_is_a_new_version_that_keeps_the_old_one(practice_admin):
    measure = Measure.objects.get(code="re_referrals_12m")
    old_definition = measure.definition
    services.measure_update(actor=practice_admin, measure=measure, definition="A clearer definition.")
    measure.refresh_from_db()
    assert measure.version == 2 and measure.definition == "A clearer definition."
    assert measure.history[0]["version"] == 1 and measure.history[0]["definition"] == old_definition
    assert AuditEvent.objects.get(action="measure.update").changes["definition"] == [old_definition, "A clearer definition."]
    services.measure_update(actor=practice_admin, measure=measure, definition="A clearer definition.")
    measure.refresh_from_db()
    assert measure.version == 2  # nothing changed, no new version


def test_only_practice_admins_change_the_library(lead):
    reviewer = factories.PracticeUserFactory(practice_role="reviewer")
    measure = Measure.objects.get(code="cla_rate")
    for user in (lead, reviewer):
        with pytest.raises(PermissionDenied):
            services.measure_update(actor=user, measure=measure, name="Changed")


def test_the_data_dictionary_and_the_api_carry_the_definitions(client, lead, partner, evaluation):
    client.force_login(lead)
    response = client.get(reverse("outcomes:data_template", args=[partner.slug, evaluation.code, "data-dictionary.csv"]))
    rows = {row["measure"]: row for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))}
    assert rows["cla_rate"]["source"] == "SSDA903 (children looked after)"
    assert rows["cla_rate"]["denominator"].startswith("Children aged under 18")
    _, key = pine_services.api_token_create(user=lead, name="t")
    measures = Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/measures/?limit=100").json()["results"]
    first = next(m for m in measures if m["code"] == "entries_to_care")
    assert first["frequency"] == "monthly" and first["source_fields"] == "Episodes: DECOM, RNE = S" and first["version"] == 1


def test_a_value_is_shown_at_its_units_precision_by_one_rule():
    from measures.library import DISPLAY_DECIMALS, value_shown
    from reports.disclosure import TABLE_DECIMALS

    assert TABLE_DECIMALS is DISPLAY_DECIMALS  # the reports' tables and every page read one rule
    assert value_shown(100 / 3, "percentage") == "33.3%"
    assert value_shown(12345.0, "count") == "12,345"
    assert value_shown(2.45678, "rate_10k") == "2.5" and value_shown(12.04, "days") == "12.0"
    assert value_shown(-0.01, "percentage") == "0.0%"  # never "-0.0"
