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
# Tables made after the move, so not there at the heads before it: their rows (dashboard figures,
# worked out from the data by a worker) are not kept across the trip back.
NEWER_TABLES = {"reports_evaluationfigures"}


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
        tables = [table for table in tenant_tables() if table not in NEWER_TABLES]
        assert set(MOVED_TABLES) <= set(tables)
        before = _row_counts(tables)
        assert before["outcomes_measure"] >= 16 and before["outcomes_outcomevalue"] == 216 + 96 + 48  # 3 demo partners

        _migrate(HEADS_BEFORE_THE_MOVE)
        # Tables made by later migrations (and their demo rows) go back with them: compare the rest.
        tables = [table for table in tables if table in set(tenant_tables())]
        before = {table: before[table] for table in tables}
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
def test_uploads_stored_before_keep_only_what_was_read_and_then_move_to_files(partner, lead):
    """Rows from before the rule (0011): a finished upload's bytes go; a waiting one keeps only what
    is read; a waiting one that would be refused as it is read is rejected, keeping nothing. Then
    (0014) what is kept moves from the row to a kept file, and back into the row on the way back."""
    from outcomes.models import Submission
    from tests import factories

    heads = MigrationExecutor(connection).loader.graph.leaf_nodes()
    evaluation = factories.EvaluationFactory(application__partner=partner)
    header = "measure,period_start,period_end,group,value\n"
    extra = header.encode() + b"re_referrals_12m,01/04/2025,30/04/2025,all,20,Jane Doe\n"
    before = [("outcomes", "0010_measure_moved_to_measures")]
    try:
        _migrate(before)
        old = _historical_submission(before)
        rows = {
            name: old.objects.create(
                partner_id=partner.pk,
                evaluation_id=evaluation.pk,
                filename="data.csv",
                content=content,
                status=status,
                uploaded_by_id=lead.pk,
            ).pk
            for name, status, content in [
                ("accepted", "accepted", extra),
                ("waiting", "needs_explanation", extra),
                ("unreadable", "queued", extra + b"\x00"),
            ]
        }
        _migrate(heads)
        found = {name: Submission.objects.get(pk=pk) for name, pk in rows.items()}
        assert found["accepted"].kept_bytes() == b""
        kept = found["waiting"].kept_bytes()
        assert b"Jane Doe" not in kept and b"re_referrals_12m" in kept
        assert found["waiting"].status == "needs_explanation" and not found["waiting"].received
        assert (found["unreadable"].status, found["unreadable"].kept.name) == ("rejected", "")
        assert "not text" in found["unreadable"].errors[0]["reason"]

        back = [("outcomes", "0014_child_event_date")]
        _migrate(back)
        assert bytes(_historical_submission(back).objects.get(pk=rows["waiting"]).content) == kept
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


def _historical_submission(targets):
    """The Submission model as it was at ``targets``."""
    executor = MigrationExecutor(connection)
    return executor.loader.project_state(targets).apps.get_model("outcomes", "Submission")
