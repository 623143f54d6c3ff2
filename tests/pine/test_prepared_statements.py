"""The database connection binds parameters on the server, so a query a connection runs often is
prepared: PostgreSQL plans it once per connection, not on every request."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_a_query_run_often_on_one_connection_is_prepared_once():
    with connection.cursor() as cursor:
        for number in range(6):  # psycopg prepares a statement on its fifth run
            cursor.execute("SELECT %s::int + 1 AS next_number", [number])
            assert cursor.fetchone()[0] == number + 1
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%next_number%"])
        assert cursor.fetchone()[0] == 1
