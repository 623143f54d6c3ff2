"""Tenant scope: the second wall, PostgreSQL row-level security.

Every table with a ``partner_id`` column has RLS enabled and forced, with a policy that lets a row
through only when

* the transaction is in the practice scope (``pine.practice = 'on'``), or
* the row's partner is the transaction's partner (``pine.partner_id``).

The settings are transaction-local (``set_config(..., true)``): they are made inside the request's
(or task's) transaction and vanish with it, so a pooled connection never carries a scope over.
The scoped view bases and Celery tasks are the only callers of :func:`partner_scope` and
:func:`practice_scope`.
"""

from contextlib import contextmanager

from django.db import connection, migrations

SETTINGS = ("pine.partner_id", "pine.practice", "pine.user_id")


class ScopeError(RuntimeError):
    pass


def _swap(values: dict[str, str]) -> dict[str, str]:
    """Set ``values`` and return what the settings were, in one round trip (the materialised CTE is
    read before the outer row's set_config calls run)."""
    names = list(values)
    reads = ", ".join(f"coalesce(current_setting(%s, true), '') AS s{i}" for i in range(len(SETTINGS)))
    writes = ", ".join("set_config(%s, %s, true)" for _ in names)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH previous AS MATERIALIZED (SELECT {reads}) SELECT previous.*, {writes} FROM previous",  # noqa: S608 - placeholders only
            [*SETTINGS, *[item for name in names for item in (name, values[name])]],
        )
        return dict(zip(SETTINGS, cursor.fetchone()[: len(SETTINGS)]))


def _write(values: dict[str, str]) -> None:
    names = list(values)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in names),
            [item for name in names for item in (name, values[name])],
        )


@contextmanager
def _scope(values: dict[str, str], *, request: bool = False):
    if not connection.in_atomic_block:
        raise ScopeError("A tenant scope must be set inside a transaction (transaction.atomic).")
    # A request's scope in the request's own transaction (ATOMIC_REQUESTS: the only block open)
    # needs no restoring: what runs after it in that transaction only sets another scope or
    # commits, and the settings end with the transaction. That saves a statement per scope on
    # every request; anywhere else (nested blocks, tasks, tests) the scope restores what was there.
    ends_with_transaction = request and len(connection.atomic_blocks) == 1
    previous = None
    if ends_with_transaction:
        _write(values)
    else:
        previous = _swap(values)
    try:
        yield
    finally:
        # Restore what was there, so nested use (and tests) see no leftovers.
        if previous is not None and connection.in_atomic_block and not connection.needs_rollback:
            _write(previous)


@contextmanager
def partner_scope(partner_id: int, *, user_id: int | None = None, request: bool = False):
    """Rows of this partner only. ``request``: the request's own scope (see ``_scope``)."""
    values = {"pine.partner_id": str(int(partner_id)), "pine.practice": "", "pine.user_id": _id(user_id)}
    with _scope(values, request=request):
        yield


@contextmanager
def practice_scope(*, user_id: int | None = None, request: bool = False):
    """Every partner's rows: for the practice team's pages and for system work that loads a row to
    learn its partner."""
    with _scope({"pine.partner_id": "", "pine.practice": "on", "pine.user_id": _id(user_id)}, request=request):
        yield


@contextmanager
def user_scope(user_id: int, *, request: bool = False):
    """No partner's rows, except this user's own memberships (to list and resolve them)."""
    with _scope({"pine.partner_id": "", "pine.practice": "", "pine.user_id": _id(user_id)}, request=request):
        yield


def _id(value: int | None) -> str:
    return "" if value is None else str(int(value))


def current_scope() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join("coalesce(current_setting(%s, true), '')" for _ in SETTINGS), SETTINGS)
        return dict(zip(SETTINGS, cursor.fetchone()))


# --- migrations -----------------------------------------------------------------------------------

VISIBLE_FUNCTION = """
CREATE OR REPLACE FUNCTION pine_partner_visible(row_partner bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('pine.practice', true), '') = 'on'
        OR row_partner = nullif(current_setting('pine.partner_id', true), '')::bigint
$$;
"""


def enable_rls_sql(table: str, *, also_readable_when: str = "") -> str:
    """Rows are read and written only in their partner's scope (or the practice scope);
    ``also_readable_when`` widens reading only, never writing."""
    write = "(pine_partner_visible(partner_id))"
    read = f"(pine_partner_visible(partner_id) OR {also_readable_when})" if also_readable_when else write
    return f"""
    ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
    DROP POLICY IF EXISTS tenant_isolation ON {table};
    CREATE POLICY tenant_isolation ON {table} USING {read} WITH CHECK {write};
    """


def disable_rls_sql(table: str) -> str:
    return f"""
    DROP POLICY IF EXISTS tenant_isolation ON {table};
    ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;
    ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
    """


def EnableRowLevelSecurity(table: str, *, also_readable_when: str = "") -> migrations.RunSQL:  # noqa: N802
    """A migration operation: put ``table`` behind the tenant policy."""
    return migrations.RunSQL(enable_rls_sql(table, also_readable_when=also_readable_when), disable_rls_sql(table))


def practice_only_sql(table: str) -> str:
    """Rows only the practice team's transactions can read or write (reviews and scores): a
    partner's transaction sees none of them, whatever the query."""
    return f"""
    ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
    DROP POLICY IF EXISTS practice_only ON {table};
    CREATE POLICY practice_only ON {table}
        USING (coalesce(current_setting('pine.practice', true), '') = 'on')
        WITH CHECK (coalesce(current_setting('pine.practice', true), '') = 'on');
    """


def EnablePracticeOnlySecurity(table: str) -> migrations.RunSQL:  # noqa: N802
    """A migration operation: put ``table`` behind the practice-only policy."""
    return migrations.RunSQL(
        practice_only_sql(table),
        f"DROP POLICY IF EXISTS practice_only ON {table}; ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY; "
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;",
    )
