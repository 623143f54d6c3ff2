"""The runtime role owns nothing: connected as it, the app's data is reachable (through row-level
security) but the audit trail cannot be rewritten or emptied, and no table, trigger or policy can be
changed. ``.ci/run`` and ``make run``/``make test``'s embedded PostgreSQL create the role."""

import os

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from pine.database_roles import grant_runtime

RUNTIME_ROLE = "pine_app"


def runtime_connection() -> psycopg.Connection:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [RUNTIME_ROLE])
        if cursor.fetchone() is None:
            message = f"no role {RUNTIME_ROLE}: .ci/run and tools/devstack.py create it"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
    grant_runtime(connection, RUNTIME_ROLE)
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.update(user=RUNTIME_ROLE, password=None, autocommit=True)
    return psycopg.connect(**{k: v for k, v in params.items() if v is not None})


REFUSED = [
    "TRUNCATE pine_auditevent",
    "DELETE FROM pine_auditevent",
    "UPDATE pine_auditevent SET action = 'x'",
    "ALTER TABLE pine_auditevent DISABLE TRIGGER pine_audit_immutable",
    "ALTER TABLE outcomes_outcomevalue NO FORCE ROW LEVEL SECURITY",
    "ALTER TABLE outcomes_outcomevalue DISABLE ROW LEVEL SECURITY",
    "DROP POLICY IF EXISTS tenant_isolation ON outcomes_outcomevalue",
    "TRUNCATE outcomes_outcomevalue",
    "ALTER TABLE outcomes_submission ADD COLUMN smuggled text",
    "CREATE TABLE smuggled (id int)",
]


@pytest.mark.django_db(transaction=True)
def test_the_runtime_role_cannot_truncate_alter_or_disable_anything():
    with runtime_connection() as runtime:
        for statement in REFUSED:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                runtime.execute(statement)
        # What the app does at run time still works: reading and writing rows in a tenant's scope,
        # a temporary table (the child-row import), appending to the audit trail.
        with runtime.transaction():
            runtime.execute("SELECT set_config('pine.practice', 'on', true)")
            assert runtime.execute("SELECT count(*) FROM outcomes_measure").fetchone()[0] >= 16
            runtime.execute("CREATE TEMPORARY TABLE scratch (id int) ON COMMIT DROP")
            runtime.execute(
                "INSERT INTO pine_auditevent (created_at, action, object_type, object_code, changes) "
                "VALUES (now(), 'test.append', '', '', '{}')"
            )


@pytest.mark.django_db(transaction=True)
def test_migrate_connects_as_the_owner_and_grants_the_runtime_role(settings):
    """With MIGRATE_DATABASE_URL's owner set, migrate runs as it and leaves the runtime role its rights."""
    runtime_connection().close()  # the role exists
    owner = dict(connection.settings_dict)
    settings.MIGRATE_DATABASE = {key: owner[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS")}
    with connection.cursor() as cursor:
        cursor.execute(f'REVOKE SELECT ON outcomes_measure FROM "{RUNTIME_ROLE}"')
    runtime_settings = connection.settings_dict
    runtime_settings["USER"], user = RUNTIME_ROLE, runtime_settings["USER"]
    try:
        call_command("migrate", verbosity=0)
    finally:
        connection.close()
        runtime_settings["USER"] = user
    with runtime_connection() as runtime, runtime.transaction():
        runtime.execute("SELECT set_config('pine.practice', 'on', true)")
        assert runtime.execute("SELECT count(*) FROM outcomes_measure").fetchone()[0] >= 16
