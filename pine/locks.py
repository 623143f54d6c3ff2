"""Locks that last until the transaction ends."""

from django.db import connection


def advisory_lock(name: str) -> None:
    """Hold a PostgreSQL advisory lock on ``name`` until the transaction ends: work on one name
    happens one transaction at a time (checks that a code is free, uploads of one evaluation...)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
