"""``manage.py import_outcomes``: the same checks and storing as an upload, with a JSON summary."""

import json

import pytest
from django.core.management import CommandError, call_command

from outcomes.models import OutcomeValue, Submission

pytestmark = pytest.mark.django_db

GOOD = (
    "measure,period_start,period_end,group,value,numerator,denominator\n"
    "re_referrals_12m,01/04/2025,30/04/2025,intervention,22.5,45,200\n"
    "re_referrals_12m,01/05/2025,31/05/2025,intervention,20.0,40,200\n"
)


def run(capsys, *args):
    call_command("import_outcomes", *[str(a) for a in args])
    return json.loads(capsys.readouterr().out)


def test_it_imports_a_file_and_prints_a_json_summary(tmp_path, capsys, lead, partner, evaluation):
    path = tmp_path / "data.csv"
    path.write_text(GOOD)
    dry = run(capsys, "--partner", partner.slug, "--evaluation", evaluation.code, path, "--dry-run")
    assert dry["status"] == "checked" and dry["changes"] == {"new": 2, "changed": 0, "unchanged": 0}
    assert not OutcomeValue.objects.exists()
    done = run(capsys, "--partner", partner.slug, "--evaluation", evaluation.code, path)
    assert done["status"] == "accepted" and done["rows"] == 2 and done["problems"] == []
    submission = Submission.objects.get(code=done["submission"])
    assert submission.uploaded_by == lead and submission.filename == "data.csv"
    assert OutcomeValue.objects.filter(is_current=True).count() == 2


def test_a_refused_file_prints_its_problems_and_exits_1(tmp_path, capsys, lead, partner, evaluation):
    path = tmp_path / "bad.csv"
    path.write_text(GOOD + "nope,01/06/2025,30/06/2025,all,1,,\n")
    with pytest.raises(SystemExit) as exit_:
        call_command("import_outcomes", "--partner", partner.slug, "--evaluation", str(evaluation.code), str(path))
    assert exit_.value.code == 1
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "rejected" and summary["problems"][0]["column"] == "measure"
    assert not OutcomeValue.objects.exists()


def test_another_partners_evaluation_or_an_unknown_partner_is_refused(
    tmp_path, lead, partner, other_lead, other_partner, other_evaluation
):
    path = tmp_path / "data.csv"
    path.write_text(GOOD)
    with pytest.raises(CommandError, match="No evaluation"):
        call_command("import_outcomes", "--partner", partner.slug, "--evaluation", str(other_evaluation.code), str(path))
    with pytest.raises(CommandError, match="No partner"):
        call_command("import_outcomes", "--partner", "nowhere", "--evaluation", str(other_evaluation.code), str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command(
            "import_outcomes", "--partner", partner.slug, "--evaluation", str(other_evaluation.code), str(tmp_path / "none.csv")
        )
    assert not Submission.objects.exists()
