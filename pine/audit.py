"""The audit trail: every write made through a service records who, which partner, what and when."""

import datetime
import decimal
import json
import uuid
from collections.abc import Callable
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


def audited_create(
    instance: models.Model,
    *,
    actor: User | None,
    partner: Partner | None,
    action: str,
    changes: dict[str, Any] | None = None,
    audit_obj: models.Model | None = None,
    clean_options: dict[str, Any] | None = None,
) -> models.Model:
    """Validate and save a new row, and record it in the audit trail: ``changes``, or by default
    the values of its fields (against ``audit_obj`` when the row is part of another object's story:
    an application's revision). ``clean_options`` go to ``full_clean``."""
    instance.full_clean(**(clean_options or {}))
    instance.save()
    changes = snapshot(instance) if changes is None else changes
    audit_record(actor=actor, partner=partner, action=action, obj=audit_obj or instance, changes=changes)
    return instance


def audited_update(
    instance: models.Model,
    data: dict[str, Any],
    *,
    actor: User | None,
    partner: Partner | None,
    action: str,
    validate: Callable[[models.Model], None] | None = None,
    quiet: tuple[str, ...] = (),
    audit_obj: models.Model | None = None,
    also_record: dict[str, Any] | None = None,
    clean_options: dict[str, Any] | None = None,
) -> dict[str, list[Any]]:
    """Change a row the caller has locked (``select_for_update``), or a new one: set ``data``, check the service's
    rules on the new values (``validate``, which raises ValidationError) and the model's, save only
    the fields that changed, and record {field: [old, new]} in the audit trail (against
    ``audit_obj`` when the change belongs to another object, with ``also_record`` beside them).
    Fields in ``quiet`` are saved when they change but not reported (a timestamp); ``clean_options``
    go to ``full_clean``. Returns the changes recorded."""
    names = list(data)
    before = snapshot(instance, names)
    for name, value in data.items():
        setattr(instance, name, value)
    if validate is not None:
        validate(instance)
    instance.full_clean(**(clean_options or {}))
    after = snapshot(instance, names)
    changed = [name for name in names if before[name] != after[name]]
    if instance._state.adding:  # a new row (a first draft, say) is saved whole
        instance.save()
    elif changed:
        instance.save(update_fields=changed)
    changes = {name: [before[name], after[name]] for name in changed if name not in quiet} | (also_record or {})
    audit_record(actor=actor, partner=partner, action=action, obj=audit_obj or instance, changes=changes)
    return changes
