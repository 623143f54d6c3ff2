"""Two database roles: the owner, which runs the migrations and owns every table, and the runtime
role the web, worker and beat connect as, which owns nothing.

The runtime role can read and write rows (through row-level security, as every non-owner must), but
not TRUNCATE, ALTER a table, disable a trigger or turn row-level security off: only an owner can,
and it is not the owner. The audit trail is append-only for it: SELECT and INSERT, nothing else.
``migrate`` (pine/management/commands/migrate.py) connects as the owner when
``MIGRATE_DATABASE_URL`` is set, then grants the runtime role what it needs with
:func:`grant_runtime`.
"""

from psycopg import sql

APPEND_ONLY_TABLES = ("pine_auditevent",)


def grant_runtime(connection, role: str) -> None:
    """Give ``role`` what the app needs at run time on every table of the public schema (run by the
    owner after migrating; idempotent)."""
    role_name = sql.Identifier(role)
    database = sql.Identifier(connection.settings_dict["NAME"])
    statements = [
        sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(database, role_name),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role_name),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(role_name),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(role_name),
    ]
    statements += [
        sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(sql.Identifier(table), role_name)
        for table in APPEND_ONLY_TABLES
    ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement.as_string(cursor.connection))
