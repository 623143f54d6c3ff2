"""The shared measure library: exact definitions with their sources, versioned changes."""

import csv
import importlib
import io
import re

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied
from django.db import connection
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


DEFINITION_PARTS = re.compile(r"Formula: ([^;]+); placed in a period by ([^;]+); statistic: ([^;]+)\.$")


def fed_by_returns() -> dict[str, set[str]]:
    """Each library code a statutory return's reader names (its MEASURES), with the kinds that feed it."""
    from returns import registry

    fed: dict[str, set[str]] = {}
    for kind, module in registry.available().items():
        for code in module.MEASURES:
            fed.setdefault(code, set()).add(kind)
    return fed


def test_every_measure_a_return_feeds_states_its_formula_placing_date_and_statistic(client, lead, partner, evaluation):
    fed = fed_by_returns()
    assert {"cin", "ssda903", "annex_a"} <= set().union(*fed.values())
    stored = {m.code: m for m in Measure.objects.filter(code__in=fed, partner__isnull=True)}
    assert set(stored) == set(fed)
    for code, measure in stored.items():
        parts = DEFINITION_PARTS.search(measure.definition)
        assert parts, f"{code}: its definition lacks its formula, placing date or statistic"
        formula, placed_by, statistic = (part.strip() for part in parts.groups())
        assert formula and placed_by and statistic, code
        expected = {"count": "a count", "percentage": "a proportion", "rate_10k": "a rate per 10,000", "days": "a median"}
        assert statistic.startswith(expected[measure.unit]), code
    # The data dictionary shows the stored definitions.
    client.force_login(lead)
    response = client.get(reverse("outcomes:data_template", args=[partner.slug, evaluation.code, "data-dictionary.csv"]))
    rows = {row["measure"]: row for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))}
    assert "placed in a period by AssessmentAuthorisationDate" in rows["assessments_45_days"]["definition"]
    assert "placed in a period by DECOM" in rows["entries_to_care"]["definition"]


def test_the_migration_fills_a_stored_definition_that_lacks_them_as_a_new_version(practice_admin):
    migration = importlib.import_module("measures.migrations.0005_definitions_state_formula_period_and_statistic")
    old = "Percentage of referrals in the period that led to no further action (ReferralNFA = 1). Denominator: all referrals."
    Measure.objects.filter(code="referrals_nfa").update(definition=old, version=1, history=[])
    services.measure_update(actor=practice_admin, measure=Measure.objects.get(code="icpc_15_days"),
                            definition="The practice team's own wording.")  # fmt: skip
    untouched = Measure.objects.get(code="cin_referrals")
    with connection.schema_editor() as editor:
        migration.fill_missing_parts(django_apps, editor)
    with connection.cursor() as cursor:  # the migration leaves the practice setting off: the test's scope again
        cursor.execute("SELECT set_config('pine.practice', 'on', true)")
    nfa = Measure.objects.get(code="referrals_nfa")
    assert nfa.version == 2 and nfa.history[0]["definition"] == old
    assert nfa.definition == f"{old} {migration.RULES['referrals_nfa']}" and DEFINITION_PARTS.search(nfa.definition)
    icpc = Measure.objects.get(code="icpc_15_days")
    assert icpc.version == 3 and icpc.definition.startswith("The practice team's own wording. Formula: ")
    again = Measure.objects.get(code="cin_referrals")
    assert (again.version, again.definition) == (untouched.version, untouched.definition)  # complete already
    with connection.schema_editor() as editor:
        migration.fill_missing_parts(django_apps, editor)  # a second run changes nothing
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pine.practice', 'on', true)")
    assert Measure.objects.get(code="referrals_nfa").version == 2


def test_the_migration_and_the_library_say_the_same():
    migration = importlib.import_module("measures.migrations.0005_definitions_state_formula_period_and_statistic")
    later = importlib.import_module("measures.migrations.0006_cla_rate_population_in_force")
    library = {m.code: m.definition for m in STANDARD_MEASURES}
    for code, sentence in migration.RULES.items():
        if code == later.CODE:  # reworded since
            for old, new in later.REWORDED:
                sentence = sentence.replace(old, new)
        assert library[code].endswith(" " + sentence), code


def test_the_rate_of_children_looked_after_is_reworded_for_the_estimate_in_force_as_a_new_version(practice_admin):
    """A database whose cla_rate definition still says "the calendar year of the period end" gets the
    library's wording as a new version; a practice team's own wording is left; a second run is a no-op."""
    migration = importlib.import_module("measures.migrations.0006_cla_rate_population_in_force")
    library = next(m.definition for m in STANDARD_MEASURES if m.code == "cla_rate")
    assert "calendar year" not in library and "in force" in library
    old = library
    for before, after in migration.REWORDED:
        assert after in library
        old = old.replace(after, before)
    Measure.objects.filter(code="cla_rate").update(definition=old, version=2, history=[{"version": 1}])

    def run():
        with connection.schema_editor() as editor:
            migration.reword(django_apps, editor)
        with connection.cursor() as cursor:  # the migration leaves the practice setting off: the test's scope again
            cursor.execute("SELECT set_config('pine.practice', 'on', true)")
        return Measure.objects.get(code="cla_rate")

    reworded = run()
    assert (reworded.version, reworded.definition) == (3, library)
    assert reworded.history[-1]["definition"] == old and reworded.history[-1]["version"] == 2
    assert run().version == 3  # a second run changes nothing
    services.measure_update(actor=practice_admin, measure=reworded, definition="The practice team's own wording.")
    assert run().definition == "The practice team's own wording."
