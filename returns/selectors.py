from django.db.models import QuerySet

from measures import selectors as measure_selectors
from measures.library import value_shown
from pine.models import Partner
from returns.models import ReturnImport


def return_import_list(*, partner: Partner, evaluation=None) -> QuerySet[ReturnImport]:
    imports = ReturnImport.objects.filter(partner=partner).select_related("evaluation", "uploaded_by", "submission")
    if evaluation is not None:
        imports = imports.filter(evaluation=evaluation)
    return imports


def return_import_get(*, partner: Partner, code) -> ReturnImport | None:
    return return_import_list(partner=partner).filter(code=code).first()


def return_import_measure_rows(*, partner: Partner, measures: dict[str, list[dict]], limit: int = 600) -> dict:
    """An import's measures as its result page shows them: each row with its measure's name (the
    code as well, for whoever reads the JSON), and its value at the measure's displayed precision
    (``measures.library.value_shown``, the rule every table of values follows) — the stored figures
    carry up to 4 decimal places. ``rows`` is the first ``limit``; ``total`` counts them all."""
    library = {m.code: m for m in measure_selectors.measure_list(partner=partner).filter(code__in=list(measures))}
    total = sum(len(entries) for entries in measures.values())
    rows = []
    for code, entries in measures.items():
        measure = library.get(code)
        for entry in entries:
            if len(rows) == limit:
                return {"rows": rows, "total": total}
            value = entry.get("value")
            rows.append(
                {
                    "code": code,
                    "name": measure.name if measure else code,
                    "unit": measure.get_unit_display() if measure else "",
                    "period_start": entry["period_start"],
                    "period_end": entry["period_end"],
                    "group": entry["group"],
                    "value": None if value is None else value_shown(value, measure.unit if measure else ""),
                    "numerator": _whole(entry.get("numerator")),
                    "denominator": _whole(entry.get("denominator")),
                }
            )
    return {"rows": rows, "total": total}


def _whole(count) -> str | None:
    return None if count is None else f"{int(count):,}"
