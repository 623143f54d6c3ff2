"""``manage.py import_return``: a statutory return read, checked, turned into measures and stored
through the outcome upload's path, with the JSON the README describes."""

import json

import pytest
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.db import connection

from outcomes.models import OutcomeValue, Submission
from returns import cin
from returns.models import ReturnImport
from tests.returns.helpers import RAW_PREFIX, bad_census, random_census, small_census

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _on_commit(django_capture_on_commit_callbacks):
    """The command's transaction commits (its received files are deleted then): run what it left for then."""
    global COMMITS
    COMMITS = django_capture_on_commit_callbacks


def run(capsys, *args, code=0):
    with COMMITS(execute=True):
        if code:
            with pytest.raises(SystemExit) as exit_:
                call_command("import_return", *[str(a) for a in args])
            assert exit_.value.code == code
        else:
            call_command("import_return", *[str(a) for a in args])
    return json.loads(capsys.readouterr().out)


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def no_files_left(partner) -> bool:
    storage = storages["uploads"]
    if not storage.exists(f"returns/{partner.pk}"):
        return True
    folders, _ = storage.listdir(f"returns/{partner.pk}")
    return all(not storage.listdir(f"returns/{partner.pk}/{folder}")[1] for folder in folders)


def test_a_dry_run_then_an_import_of_a_cin_census(tmp_path, capsys, lead, partner, evaluation):
    path = write(tmp_path, "cin-2025.xml", random_census(count=400))
    args = ["--partner", partner.slug, "--evaluation", evaluation.code, path, "--frequency", "annual"]
    dry = run(capsys, *args, "--dry-run")
    assert list(dry)[:5] == ["kind", "children", "records", "problems", "measures"]
    assert dry["kind"] == "cin" and dry["children"] == 400 and dry["problems"] == []
    assert list(dry["measures"]) == list(cin.MEASURES)  # the return's order
    assert dry["submission"]["status"] == "checked" and dry["submission"]["changes"]["new"] > 0
    assert not OutcomeValue.objects.exists()
    referrals = dry["measures"]["cin_referrals"]
    assert referrals == [
        {"period_start": "2024-04-01", "period_end": "2025-03-31", "group": "all", "value": referrals[0]["value"],
         "numerator": None, "denominator": None}
    ]  # fmt: skip
    done = run(capsys, *args)
    assert done["submission"]["status"] == "accepted"
    submission = Submission.objects.get(code=done["submission"]["code"])
    assert submission.source == "cin" and submission.uploaded_by == lead
    stored = OutcomeValue.objects.get(submission=submission, measure__code="cin_referrals")
    assert stored.value == referrals[0]["value"] and stored.period_start.isoformat() == "2024-04-01"
    nfa = OutcomeValue.objects.get(submission=submission, measure__code="referrals_nfa")
    entry = done["measures"]["referrals_nfa"][0]
    assert (nfa.numerator, nfa.denominator) == (entry["numerator"], entry["denominator"])
    # No population entered: the rate is "not estimable" in the JSON and not stored.
    assert done["measures"]["cp_plans_rate"][0]["value"] is None
    assert not OutcomeValue.objects.filter(measure__code="cp_plans_rate").exists()
    assert no_files_left(partner)
    assert ReturnImport.objects.get(submission=submission).files == []


def test_with_a_population_the_cp_plan_rate_is_stored(tmp_path, capsys, lead, partner, evaluation):
    evaluation.population = {"2024": 20_000}
    evaluation.save()
    path = write(tmp_path, "cin.xml", small_census())
    done = run(capsys, "--partner", partner.slug, "--evaluation", evaluation.code, path, "--frequency", "annual")
    # 31/03/2025: two children on plans; mid-2024 estimate 20,000: 2 / 20,000 x 10,000 = 1.0.
    assert done["measures"]["cp_plans_rate"] == [
        {"period_start": "2024-04-01", "period_end": "2025-03-31", "group": "all", "value": 1, "numerator": 2,
         "denominator": 20000}
    ]  # fmt: skip
    rate = OutcomeValue.objects.get(measure__code="cp_plans_rate")
    assert (rate.value, rate.numerator, rate.denominator) == (1, 2, 20_000)
    assert done["measures"]["cin_referrals"][0]["value"] == 3
    assert done["measures"]["referrals_nfa"][0]["numerator"] == 1


def test_a_children_list_gives_the_intervention_group(tmp_path, capsys, lead, partner, evaluation):
    path = write(tmp_path, "cin.xml", small_census())
    children = write(tmp_path, "children.csv", b"LAchildID\nSYN0000001\nSYN0000003\n")
    done = run(capsys, "--partner", partner.slug, "--evaluation", evaluation.code, path, "--frequency", "annual",
               "--children", children)  # fmt: skip
    groups = {row["group"]: row["value"] for row in done["measures"]["cin_referrals"]}
    assert groups == {"all": 3, "intervention": 2}
    assert set(OutcomeValue.objects.filter(measure__code="cin_referrals").values_list("group", flat=True)) == {
        "all",
        "intervention",
    }


def test_a_comparison_list_gives_the_comparison_group_kept_as_pseudonyms(tmp_path, capsys, lead, partner, evaluation):
    path = write(tmp_path, "cin.xml", small_census())
    children = write(tmp_path, "intervention.txt", b"SYN0000001\n")
    comparison = write(tmp_path, "comparison.csv", b"CHILD\nSYN0000002\nSYN0000003\nSYN0009999\n")
    done = run(capsys, "--partner", partner.slug, "--evaluation", evaluation.code, path, "--frequency", "annual",
               "--children", children, "--comparison", comparison)  # fmt: skip
    groups = {row["group"]: (row["value"], row["numerator"], row["denominator"]) for row in done["measures"]["referrals_nfa"]}
    # SYN0000003's referral ended in no further action: 1 of the comparison group's 2 referrals.
    assert groups == {"all": (33.3333, 1, 3), "intervention": (0, 0, 1), "comparison": (50, 1, 2)}
    stored = OutcomeValue.objects.filter(measure__code="cin_referrals").values_list("group", "value")
    assert dict(stored) == {"all": 3, "intervention": 1, "comparison": 2}
    row = ReturnImport.objects.get()
    assert len(row.comparison_children) == 3 and all(c.startswith("pseudo:") for c in row.comparison_children)
    assert "SYN" not in json.dumps([row.intervention_children, row.comparison_children])
    with pytest.raises(CommandError, match="--comparison needs --children"):
        call_command("import_return", "--partner", partner.slug, "--evaluation", str(evaluation.code), str(path),
                     "--comparison", str(comparison))  # fmt: skip


def test_a_return_with_blocking_errors_stores_nothing_and_exits_1(tmp_path, capsys, lead, partner, evaluation):
    path = write(tmp_path, "cin.xml", bad_census())
    out = run(capsys, "--partner", partner.slug, "--evaluation", evaluation.code, path, code=1)
    assert out["status"] == "refused" and out["submission"] is None
    assert out["problems"][0]["field"] == "CINreferralDate" and out["problems"][0]["severity"] == "error"
    assert "SYN" not in json.dumps(out)
    assert not Submission.objects.exists() and not OutcomeValue.objects.exists()
    assert no_files_left(partner)


def test_a_file_that_is_no_return_is_refused_with_a_clear_message(tmp_path, capsys, lead, partner, evaluation):
    path = write(tmp_path, "notes.txt", b"These are my notes about SYN0000001.\n")
    out = run(capsys, "--partner", partner.slug, "--evaluation", evaluation.code, path, code=1)
    assert "not a statutory return PINE recognises" in out["problems"][0]["message"]
    assert "Children in Need census" in out["problems"][0]["message"]
    assert no_files_left(partner)


def test_a_file_that_is_not_the_kind_asked_for_is_refused(tmp_path, capsys, lead, partner, evaluation):
    path = write(tmp_path, "cin.xml", small_census())
    out = run(capsys, "--partner", partner.slug, "--evaluation", evaluation.code, path, "--kind", "ssda903", code=1)
    assert out["problems"] and out["problems"][0]["severity"] == "error"
    assert not OutcomeValue.objects.exists() and no_files_left(partner)


def test_another_partners_evaluation_is_not_found(tmp_path, lead, partner, other_lead, other_evaluation):
    path = write(tmp_path, "cin.xml", small_census())
    with pytest.raises(CommandError, match="No evaluation"):
        call_command("import_return", "--partner", partner.slug, "--evaluation", str(other_evaluation.code), str(path))
    assert not ReturnImport.objects.exists()


def test_no_raw_identifier_is_stored_anywhere(tmp_path, capsys, lead, partner, evaluation):
    """Every table's every row, as text, after an import with a children list: no LAchildID, no
    UPN, no full date of birth."""
    path = write(tmp_path, "cin.xml", random_census(count=50))
    children = write(tmp_path, "children.txt", b"SYN0000001\nSYN0000002\n")
    run(capsys, "--partner", partner.slug, "--evaluation", evaluation.code, path, "--children", children,
        "--frequency", "annual")  # fmt: skip
    run(capsys, "--partner", partner.slug, "--evaluation", evaluation.code, path, "--dry-run", "--frequency", "annual")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pine.practice', 'on', false)")
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [name for (name,) in cursor.fetchall()]
        found = []
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}" t WHERE row_to_json(t)::text ~ %s', [f"{RAW_PREFIX}\\d|X0\\d{{6}}"])
            if cursor.fetchone()[0]:
                found.append(table)
        cursor.execute("SELECT set_config('pine.practice', '', false)")
    assert found == []
    assert ReturnImport.objects.filter(status="done").count() == 2


def test_a_reader_that_crashes_fails_the_import_keeping_nothing_and_logging_no_value(
    tmp_path, capsys, caplog, monkeypatch, lead, partner, evaluation
):
    from returns import cin

    def crash(files, *, pseudonymise):
        raise ValueError("bad child SYN0000001")

    monkeypatch.setattr(cin, "read", crash)
    path = write(tmp_path, "cin.xml", small_census())
    out = run(capsys, "--partner", partner.slug, "--evaluation", evaluation.code, path, code=1)
    assert out["status"] == "failed" and "could not be processed" in out["problems"][0]["message"]
    assert "SYN" not in caplog.text and "ReturnReadError: ValueError" in caplog.text
    assert no_files_left(partner) and ReturnImport.objects.get().files == []
    assert not Submission.objects.exists()


def test_the_plan_window_and_the_intervention_start_rule(tmp_path, capsys, lead, partner, evaluation):
    """Periods only inside the plan's window; the rule group keeps records on or after the start."""
    from datetime import date

    from evaluations import services as evaluation_services

    path = write(tmp_path, "cin.xml", small_census())
    with pytest.raises(CommandError, match="intervention start"):
        call_command("import_return", "--partner", partner.slug, "--evaluation", str(evaluation.code), str(path),
                     "--from-intervention-start")  # fmt: skip
    evaluation_services.plan_save_draft(
        partner=partner, actor=lead, evaluation=evaluation, intervention_start=date(2024, 7, 1),
        baseline_start=date(2024, 4, 1), baseline_end=date(2024, 6, 30), follow_up_start=date(2024, 7, 1),
        follow_up_end=date(2024, 9, 30),
    )  # fmt: skip
    done = run(capsys, "--partner", partner.slug, "--evaluation", evaluation.code, path, "--frequency", "quarterly",
               "--from-intervention-start")  # fmt: skip
    referrals = {(r["period_start"], r["group"]): r["value"] for r in done["measures"]["cin_referrals"]}
    # Referrals on 1 May, 1 July and 1 September 2024; the plan runs April to September 2024.
    assert referrals == {("2024-04-01", "all"): 1, ("2024-07-01", "all"): 2, ("2024-04-01", "intervention"): 0,
                         ("2024-07-01", "intervention"): 2}  # fmt: skip
    assert done["submission"]["status"] in ("accepted", "needs_explanation")


@pytest.mark.parametrize("form", ["zip", "xml"])
def test_an_ssda903_return_goes_the_whole_way_into_the_outcome_store(tmp_path, capsys, lead, partner, evaluation, form):
    """The worked example (returns.ssda903.synthetic.scenario) through detection, reading and the
    outcome store: its hand-counted answers arrive as the partner's stored values."""
    from returns.ssda903.synthetic import scenario

    evaluation.population = {"2023": 10_000, "2024": 99_999}  # 31/03/2024: the mid-2023 estimate is in force
    evaluation.save()
    the_return = scenario()
    data = the_return.zip_bytes() if form == "zip" else the_return.xml_bytes()
    path = write(tmp_path, f"ssda903.{form}", data)
    args = ["--partner", partner.slug, "--evaluation", evaluation.code, path, "--frequency", "annual",
            "--from", "2023-04-01", "--to", "2024-03-31"]  # fmt: skip
    done = run(capsys, *args)
    assert done["kind"] == "ssda903" and not [p for p in done["problems"] if p["severity"] == "error"]
    assert done["submission"]["status"] == "accepted"
    stored = {
        v.measure.code: (v.numerator, v.denominator, float(v.value))
        for v in OutcomeValue.objects.filter(submission__code=done["submission"]["code"], group="all")
    }
    assert stored["re_entries_12m"][:2] == (1, 4)
    assert stored["placements_3_plus"][:2] == (2, 5)
    assert stored["care_leavers_eet"][:2] == (1, 3)
    assert stored["cla_rate"][2] == 5.0
    assert Submission.objects.get(code=done["submission"]["code"]).source == "ssda903"
    assert no_files_left(partner)
    with connection.cursor() as cursor:  # no raw CHILD reference anywhere it could be kept
        cursor.execute("SELECT count(*) FROM outcomes_childrecord WHERE child_digest LIKE 'A001%'")
        assert cursor.fetchone()[0] == 0


def test_an_annex_a_workbook_goes_the_whole_way_into_the_outcome_store(tmp_path, capsys, lead, partner, evaluation):
    from returns.annex_a.synthetic import workbook

    path = write(tmp_path, "annex-a.xlsx", workbook(messy=True))
    done = run(capsys, "--partner", partner.slug, "--evaluation", evaluation.code, path, "--frequency", "monthly",
               "--from", "2023-04-01", "--to", "2024-03-31")  # fmt: skip
    assert done["kind"] == "annex_a" and not [p for p in done["problems"] if p["severity"] == "error"]
    # Through the outcome store's own checks: the small synthetic months change enough to ask why.
    assert done["submission"]["status"] in ("accepted", "needs_explanation") and done["measures"]["cin_referrals"]
    assert Submission.objects.get(code=done["submission"]["code"]).source == "annex_a"
    assert no_files_left(partner)


def test_a_second_import_is_unchanged_a_corrected_return_makes_new_versions_and_an_approved_period_is_locked(
    tmp_path, capsys, lead, partner, evaluation, practice_admin
):
    """The return's rows go through the upload's path: sent again they are unchanged; a corrected
    return changes them as new versions (the old values kept, superseded); once the practice team
    approves the period, a return that would change it is refused (exit 1) and nothing is stored."""
    from datetime import date

    from outcomes import services as outcome_services
    from returns.cin.synthetic import Child, Episode, child_xml
    from tests.conftest import in_scope_of

    args = ["--partner", partner.slug, "--evaluation", evaluation.code, "--frequency", "annual"]
    first = run(capsys, *args, write(tmp_path, "cin.xml", small_census()))
    assert first["submission"]["status"] == "accepted"
    again = run(capsys, *args, write(tmp_path, "cin-again.xml", small_census()), "--dry-run")
    assert again["submission"]["changes"] == {"new": 0, "changed": 0, "unchanged": again["submission"]["rows"]}

    # A corrected return: a fourth child referred in the year.
    fourth = child_xml(Child("SYN0000004", episodes=[Episode(date(2024, 10, 1))]), 2025).encode()
    corrected = small_census().replace(b"</Children>", fourth + b"</Children>")
    second = run(capsys, *args, write(tmp_path, "cin-corrected.xml", corrected))
    assert second["submission"]["changes"]["changed"] > 0
    submission = Submission.objects.get(code=second["submission"]["code"])
    if submission.status == "needs_explanation":  # the outcome store asks why the figures moved
        outcome_services.submission_explain(partner=partner, actor=lead, submission=submission, explanation="Corrected.")
    referrals = OutcomeValue.objects.filter(measure__code="cin_referrals", group="all", period_start=date(2024, 4, 1))
    current = referrals.get(is_current=True)
    assert current.value == 4 and current.submission == submission
    old = referrals.get(is_current=False)
    assert old.value == 3 and old.superseded_by_id == current.pk

    with in_scope_of():
        outcome_services.period_approve(actor=practice_admin, evaluation=evaluation, period_start=date(2024, 4, 1))
    late = run(capsys, *args, write(tmp_path, "cin-late.xml", small_census()), code=1)
    assert late["status"] == "done" and late["submission"]["status"] == "rejected"
    assert any("so it is locked" in p["reason"] for p in late["submission"]["problems"])
    assert referrals.get(is_current=True).pk == current.pk
    assert no_files_left(partner)
