"""Writes of the measure library (practice admins) and of partners' local measures, and the
promotion of a local measure into the library."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from measures.models import Measure
from pine.access import require_practice_admin
from pine.audit import audit_record, audited_create, audited_update
from pine.locks import advisory_lock
from pine.models import Partner, User


def _lock_measure_code(code: str) -> None:
    """Creating and promoting measures with one code happen one at a time, so the checks that a
    code is free cannot race."""
    advisory_lock(f"outcomes.measure_code:{code}")


def _measure_change(measure: Measure, fields: dict) -> dict | None:
    """Apply ``fields`` to a (locked) measure as a new version, keeping the earlier definition in its
    history. The changes made, or None if nothing changed."""
    unknown = set(fields) - set(Measure.DEFINITION_FIELDS)
    if unknown:
        raise ValueError(f"not definition fields: {sorted(unknown)}")
    before = {name: getattr(measure, name) for name in Measure.DEFINITION_FIELDS}
    if "unit" in fields and "child_aggregation" not in fields:
        fields = {**fields, "child_aggregation": ""}  # a new unit brings its own rule
    for name, value in fields.items():
        setattr(measure, name, value)
    measure.fit_aggregation()
    after = {name: getattr(measure, name) for name in Measure.DEFINITION_FIELDS}
    if after == before:
        return None
    measure.history = [*measure.history, {"version": measure.version, "until": timezone.now().isoformat(), **before}]
    measure.version += 1
    measure.updated_at = timezone.now()
    measure.full_clean()
    measure.save()
    return {"version": measure.version, **{k: [before[k], after[k]] for k in after if before[k] != after[k]}}


@transaction.atomic
def measure_update(*, actor: User, measure: Measure, **fields) -> Measure:
    """Change a library measure's definition (practice team). The earlier definition is kept in its
    history and the version goes up: data already sent keeps meaning what it meant."""
    require_practice_admin(actor, "change the measure library")
    measure = Measure.objects.select_for_update().get(pk=measure.pk)
    if measure.partner_id is not None:
        raise PermissionDenied("A partner's local measure is changed by the partner, or promoted into the library first.")
    changes = _measure_change(measure, fields)
    if changes:
        audit_record(actor=actor, partner=None, action="measure.update", obj=measure, changes=changes)
    return measure


@transaction.atomic
def measure_local_create(*, partner: Partner, actor: User, evaluation, code: str, **fields) -> Measure:
    """A partner's own measure for its evaluation, described like a library measure. Its code is
    unique within the partner and never a library code; no other partner ever sees it."""
    if evaluation.partner_id != partner.pk:
        raise ValueError("evaluation belongs to another partner")
    unknown = set(fields) - set(Measure.DEFINITION_FIELDS)
    if unknown:
        raise ValueError(f"not definition fields: {sorted(unknown)}")
    code = (code or "").strip().lower()
    _lock_measure_code(code)
    if Measure.objects.filter(code=code, partner__isnull=True).exists():
        raise ValidationError({"code": "A library measure already has this code. Use it, or choose another code."})
    if Measure.objects.filter(code=code, partner=partner).exists():
        raise ValidationError({"code": "You already have a local measure with this code. Choose another code."})
    fields = {"source": Measure.Source.LOCAL, **fields}
    measure = Measure(partner=partner, evaluation=evaluation, code=code, created_by=actor, **fields)
    audited_create(
        measure,
        actor=actor,
        partner=partner,
        action="measure.local_create",
        changes={"evaluation": str(evaluation.code), **{name: getattr(measure, name) for name in ["code", *fields]}},
    )
    return measure


@transaction.atomic
def measure_local_update(*, partner: Partner, actor: User, measure: Measure, **fields) -> Measure:
    """Change one of the partner's local measures: a new version, the earlier one kept in its history."""
    measure = Measure.objects.select_for_update().filter(pk=measure.pk, partner=partner).first()
    if measure is None:
        raise ValueError("not a local measure of this partner")
    changes = _measure_change(measure, fields)
    if changes:
        audit_record(actor=actor, partner=partner, action="measure.local_update", obj=measure, changes=changes)
    return measure


@transaction.atomic
def measure_promote(*, actor: User, measure: Measure) -> Measure:
    """A practice admin promotes a partner's local measure into the shared library. The row (and
    its code, which the partner's plans, theory of change and files name) stays, so the partner's
    data keeps working; it loses its partner and evaluation, so everyone sees it, and records which
    partner it came from, who promoted it and when. Runs in the practice scope."""
    require_practice_admin(actor, "promote a local measure into the library")
    measure = Measure.objects.select_for_update(of=("self",)).select_related("partner").get(pk=measure.pk)
    if measure.partner_id is None:
        raise ValidationError({"code": "This measure is already in the library."})
    _lock_measure_code(measure.code)
    if Measure.objects.filter(code=measure.code).exclude(pk=measure.pk).exists():
        raise ValidationError(
            {
                "code": f"The code {measure.code} is already used by a library measure or by another partner's local "
                "measure, so it cannot become a library code. Ask the partner to use another code first."
            }
        )
    partner, now = measure.partner, timezone.now()
    promotion = {"promoted_from": partner, "promoted_by": actor, "promoted_at": now}
    promotion.update(partner=None, evaluation=None, updated_at=now)
    audited_update(
        measure,
        promotion,
        actor=actor,
        partner=partner,
        action="measure.promote",
        quiet=tuple(promotion),
        also_record={"code": measure.code, "from_partner": partner.slug, "version": measure.version},
    )
    return measure
