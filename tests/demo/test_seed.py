"""The demo data: idempotent, every role, and the logins written where the launcher reads them."""

import json

import pytest
from django.core.management import call_command

from outcomes.models import OutcomeValue, Submission

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_writes_its_users_as_json(tmp_path, capsys):
    logins = tmp_path / "logins.json"
    call_command("seed_demo", "--password", "demo-pass-123", "--json", str(logins))
    users = json.loads(logins.read_text())
    assert capsys.readouterr().out == "Demo data ready: 10 users.\n"
    call_command("seed_demo", "--json", "-")
    assert json.loads(capsys.readouterr().out) == users
    roles = {u["role"] for u in users}
    assert {"practice_admin", "reviewer", "analyst", "lead", "contributor", "viewer"} <= roles
    assert len({u["partner"] for u in users if u["partner"]}) >= 3
    assert OutcomeValue.objects.filter(partner__slug="northshire").count() == 36 * 2 * 3
    assert Submission.objects.count() == 1
