"""Reads of the measure library and of partners' local measures."""

from datetime import datetime

from django.db.models import Q, QuerySet

from measures.models import Measure
from pine.models import Partner


def measure_list(*, partner: Partner | None = None) -> QuerySet[Measure]:
    """The measures a partner may use (plans, theories of change, templates, the data dictionary,
    uploads): the shared library plus the partner's own local measures. Without a partner, the
    library alone. Filtered here whatever the scope: the practice scope sees every partner's rows."""
    usable = Q(partner__isnull=True)
    if partner is not None:
        usable |= Q(partner=partner)
    return Measure.objects.filter(usable)


def measure_get(*, partner: Partner | None, code: str) -> Measure | None:
    """A library measure, or one of this partner's local measures; another partner's local measure
    and a missing one alike give None."""
    return measure_list(partner=partner).filter(code=code).first()


def library_measure_list() -> QuerySet[Measure]:
    return measure_list().select_related("promoted_from")


def library_measure_get(*, code: str) -> Measure | None:
    return library_measure_list().filter(code=code).first()


def local_measure_list(*, partner: Partner) -> QuerySet[Measure]:
    """One partner's local measures."""
    return Measure.objects.filter(partner=partner).select_related("evaluation", "created_by")


def local_measure_get(*, partner: Partner, code: str) -> Measure | None:
    return local_measure_list(partner=partner).filter(code=code).first()


def local_measure_list_for_practice() -> QuerySet[Measure]:
    """Every partner's local measures (the practice team's view, in the practice scope)."""
    return (
        Measure.objects.filter(partner__isnull=False)
        .select_related("partner", "evaluation", "created_by")
        .order_by("partner__name", "name")
    )


def local_measure_get_for_practice(*, partner_slug: str, code: str) -> Measure | None:
    return local_measure_list_for_practice().filter(partner__slug=partner_slug, code=code).first()


def _shown(name: str, value) -> str:
    field = Measure._meta.get_field(name)
    return str(dict(field.choices).get(value, value)) if field.choices else str(value or "")


def measure_definition_rows(measure: Measure) -> list[tuple[str, str]]:
    """(label, value as shown) for each field of a measure's current definition."""
    return [
        (Measure._meta.get_field(name).verbose_name.capitalize().replace("_", " "), measure_shown(measure, name))
        for name in Measure.DEFINITION_FIELDS
    ]


def measure_shown(measure: Measure, name: str) -> str:
    return _shown(name, getattr(measure, name))


def measure_history(measure: Measure) -> list[dict]:
    """The measure's versions, newest first: each with the date it was replaced (none for the
    current one) and the fields that changed from the version before it, as (label, old, new)."""
    versions = [
        *measure.history,
        {"version": measure.version, "until": None, **{n: getattr(measure, n) for n in Measure.DEFINITION_FIELDS}},
    ]
    rows = []
    for older, newer in zip([None, *versions[:-1]], versions):
        changes = []
        if older is not None:
            for name in Measure.DEFINITION_FIELDS:
                if older.get(name) != newer.get(name):
                    label = Measure._meta.get_field(name).verbose_name.capitalize().replace("_", " ")
                    changes.append((label, _shown(name, older.get(name)), _shown(name, newer.get(name))))
        until = datetime.fromisoformat(newer["until"]) if newer["until"] else None
        rows.append({"version": newer["version"], "until": until, "changes": changes})
    return list(reversed(rows))
