"""The audit trail: every write made through a service records who, which partner, what and when."""

import datetime
import decimal
import json
import uuid
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone

from pine.models import AuditEvent, Partner, User


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(getattr(value, "code", value.pk))
    if isinstance(value, (datetime.date, datetime.datetime, uuid.UUID, decimal.Decimal)):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return f"<{len(value)} bytes>"
    return value


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The values of an instance's concrete fields, as JSON-safe values."""
    names = fields or [f.attname for f in instance._meta.concrete_fields if f.attname not in ("id", "partner_id")]
    return {name: _plain(getattr(instance, name)) for name in names}


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for every field whose value differs."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def audit_record(
    *,
    actor: User | None,
    partner: Partner | None,
    action: str,
    obj: models.Model,
    changes: dict[str, Any] | None = None,
) -> None:
    """Append one record. A plain INSERT without RETURNING: the writer need not be allowed to read
    the trail back (row-level security lets only the practice team read partner-less records)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {AuditEvent._meta.db_table} "
            "(partner_id, actor_id, action, object_type, object_code, changes, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                partner.pk if partner is not None else None,
                actor.pk if actor is not None and actor.is_authenticated else None,
                action,
                obj._meta.label,
                str(getattr(obj, "code", obj.pk)),
                json.dumps(changes or {}, cls=DjangoJSONEncoder),
                timezone.now(),
            ],
        )
