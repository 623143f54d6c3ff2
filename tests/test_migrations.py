"""Moving models between apps keeps every table, row and row-level-security policy.

``measures.Measure`` (from outcomes) and ``reports.Report`` (from evaluations) moved with
state-only migrations: this test loads the demo data, takes the database back to the heads before the
move and forward again, and checks that nothing was lost and every tenant table is still
behind its policy."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from demo.data import demo_seed
from tests.test_tenancy import tenant_tables

# The heads before the layers moved models between apps.
HEADS_BEFORE_THE_MOVE = [
    ("pine", "0003_notifications"),
    ("cohorts", "0007_review_decisions_events"),
    ("evaluations", "0008_theoryofchange"),
    ("outcomes", "0009_child_records_lean_keys"),
    ("measures", None),
    ("reports", None),
]
MOVED_TABLES = ["outcomes_measure", "evaluations_report"]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _row_counts(tables: list[str]) -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from the catalogue
            counts[table] = cursor.fetchone()[0]
    return counts


def _row_level_security(tables: list[str]) -> dict[str, tuple[bool, bool, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
            FROM pg_class c WHERE c.relname = ANY(%s)
            """,
            [tables],
        )
        return {name: (enabled, forced, policies) for name, enabled, forced, policies in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_moving_models_between_apps_keeps_every_row_and_policy():
    """The demo data is loaded at today's heads (today's code writes today's tables), the database is
    taken back to the heads before the move and forward again: every row survives both ways."""
    heads = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        demo_seed(password="migration-test-password")
        tables = tenant_tables()
        assert set(MOVED_TABLES) <= set(tables)
        before = _row_counts(tables)
        assert before["outcomes_measure"] >= 16 and before["outcomes_outcomevalue"] == 216

        _migrate(HEADS_BEFORE_THE_MOVE)
        assert _row_counts(tables) == before
        assert ContentType.objects.filter(app_label="outcomes", model="measure").exists()
        assert not ContentType.objects.filter(app_label="measures", model="measure").exists()

        _migrate(heads)

        assert _row_counts(tables) == before
        protected = _row_level_security(tenant_tables())
        assert protected and all(enabled and forced and policies for enabled, forced, policies in protected.values()), protected
        assert ContentType.objects.filter(app_label="measures", model="measure").exists()
        assert ContentType.objects.filter(app_label="reports", model="report").exists()
        assert not ContentType.objects.filter(app_label__in=["outcomes", "evaluations"], model__in=["measure", "report"]).exists()
    finally:
        _migrate(heads)


@pytest.mark.django_db(transaction=True)
def test_uploads_stored_before_keep_only_what_was_read(partner, lead):
    """Rows from before the rule: a finished upload's bytes go; a waiting one keeps only what is read;
    a waiting one that would be refused as it is read is rejected, keeping nothing."""
    from outcomes.models import Submission
    from tests import factories

    heads = MigrationExecutor(connection).loader.graph.leaf_nodes()
    evaluation = factories.EvaluationFactory(application__partner=partner)
    header = "measure,period_start,period_end,group,value\n"
    extra = header.encode() + b"re_referrals_12m,01/04/2025,30/04/2025,all,20,Jane Doe\n"
    rows = {
        "accepted": factories.SubmissionFactory(evaluation=evaluation, status="accepted", content=extra),
        "waiting": factories.SubmissionFactory(evaluation=evaluation, status="needs_explanation", content=extra),
        "unreadable": factories.SubmissionFactory(evaluation=evaluation, status="queued", content=extra + b"\x00"),
    }
    try:
        _migrate([("outcomes", "0010_measure_moved_to_measures")])
        _migrate(heads)
        found = {name: Submission.objects.get(pk=row.pk) for name, row in rows.items()}
        assert bytes(found["accepted"].content) == b""
        assert b"Jane Doe" not in bytes(found["waiting"].content) and b"re_referrals_12m" in bytes(found["waiting"].content)
        assert found["waiting"].status == "needs_explanation"
        assert (found["unreadable"].status, bytes(found["unreadable"].content)) == ("rejected", b"")
        assert "not text" in found["unreadable"].errors[0]["reason"]
    finally:
        _migrate(heads)


@pytest.mark.django_db(transaction=True)
def test_api_tokens_made_before_scopes_become_write_tokens_that_expire(lead, practice_admin):
    """Tokens from before scopes and expiry keep working as write tokens, until 30 days (the practice
    team's) or 90 days (anyone else's) after the migration, under the password their user has now."""
    from datetime import timedelta

    from django.utils import timezone

    from pine.models import ApiToken

    heads = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        _migrate([("pine", "0003_notifications")])
        with connection.cursor() as cursor:
            for user, prefix in ((lead, "leadtokn"), (practice_admin, "practice")):
                cursor.execute(
                    "INSERT INTO pine_apitoken (code, user_id, name, prefix, key_hash, created_at) "
                    "VALUES (gen_random_uuid(), %s, 'old', %s, %s, now() - interval '400 days')",
                    [user.pk, prefix, prefix * 8],
                )
        _migrate(heads)
        now = timezone.now()
        for user, days in ((lead, 90), (practice_admin, 30)):
            token = ApiToken.objects.select_related("user").get(user=user)
            assert token.scope == "write" and not token.password_changed and not token.is_expired
            assert timedelta(days=days) - timedelta(minutes=5) < token.expires_at - now <= timedelta(days=days)
    finally:
        _migrate(heads)
