"""The audit trail: every write made through a service records who, which partner, what and when."""

import datetime
import decimal
import uuid
from typing import Any

from django.db import models

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
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        partner=partner,
        action=action,
        object_type=obj._meta.label,
        object_code=str(getattr(obj, "code", obj.pk)),
        changes=changes or {},
    )
