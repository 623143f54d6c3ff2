"""Template filters for a time-to-event measure's tables (templates/reports/_survival_tables.html)."""

from django import template

register = template.Library()

# The spacing of the numbers-at-risk table: the smallest of these that gives at most MAX_ROWS rows a
# group (the chart and the spreadsheet keep every step).
SPACINGS = (7, 14, 30, 60, 90, 180, 365, 730)
MAX_ROWS = 12


def _day(step: dict) -> int:
    return int(str(step["days"]).replace(",", ""))


@register.filter
def at_risk_table(survival: dict) -> dict:
    """The steps of the chart a reader needs to follow the curves, as under a Kaplan-Meier chart in
    a journal: for each group the last shown step on or before every `spacing` days (day 0, 30,
    60... or 90, 180...), so that a board sees a dozen rows, not hundreds. Each row is one of the
    safe steps (reports.disclosure.safe_curve) as it is, so it shows nothing the chart does not.
    {"spacing": days, "steps": [...], "all_steps": how many steps the chart has}."""
    steps = list(survival.get("steps") or [])
    if not steps:
        return {"spacing": 0, "steps": [], "all_steps": 0}
    groups: dict[str, list[dict]] = {}
    for step in steps:
        groups.setdefault(step["group"], []).append(step)
    last = max(_day(s) for s in steps)
    spacing = next((s for s in SPACINGS if last // s + 1 <= MAX_ROWS), SPACINGS[-1])
    chosen = []
    for group_steps in groups.values():
        picked = []
        for mark in range(0, last + 1, spacing):
            before = [s for s in group_steps if _day(s) <= mark]
            if before and (not picked or picked[-1] is not before[-1]):
                picked.append(before[-1])
        if group_steps[-1] is not (picked[-1] if picked else None):
            picked.append(group_steps[-1])  # where the curve ends
        chosen += picked
    return {"spacing": spacing, "steps": chosen, "all_steps": len(steps)}
