"""A cohort's dashboard from its partners' stored figures: the completeness grid (partner x period),
the small multiples of one measure and its funnel plot. Pure functions over the stored figures'
plain values; only the shared figures (already passed through ``safe_cells``) are read."""

from dataclasses import dataclass, field

from reports.dashboards import charts, rules
from reports.dashboards.funnel import PROPORTION, RATE

GRID_PERIODS = 24  # the page shows the latest two years; the CSV has every period
GRID_LETTERS = {
    rules.APPROVED: "A",
    rules.RECEIVED: "R",
    rules.QUERIED: "Q",
    rules.MISSING: "M",
    rules.OUTSIDE_PLAN: "O",
    rules.NOT_DUE: "",
}
FUNNEL_KINDS = {
    "percentage": (PROPORTION, 100, "Children in the denominator"),
    "rate_10k": (RATE, 10_000, "Children in the population"),
}
UNIT_LABELS_AFTER = {"percentage": "%", "rate_10k": " per 10,000 children"}


@dataclass
class Partner:
    name: str
    completeness: list  # [[ISO start, state], ...]
    shared: dict  # measure code -> {"name", "unit", "points": [[start, end, value, numerator, denominator], ...]}


@dataclass
class Grid:
    periods: list[str]
    rows: list[tuple[str, list[str]]]  # partner name, state per period ("" where none)
    all_periods: list[str] = field(default_factory=list)
    all_rows: list[tuple[str, list[str]]] = field(default_factory=list)


def completeness_grid(partners: list[Partner], *, latest: int = GRID_PERIODS) -> Grid:
    every = sorted({start for p in partners for start, _ in p.completeness})
    states = [(p.name, dict((start, state) for start, state in p.completeness)) for p in partners]
    all_rows = [(name, [by_period.get(start, "") for start in every]) for name, by_period in states]
    shown = every[-latest:]
    rows = [(name, [by_period.get(start, "") for start in shown]) for name, by_period in states]
    return Grid(shown, rows, every, all_rows)


def measure_choices(partners: list[Partner]) -> list[tuple[str, str]]:
    names = {code: m["name"] for p in partners for code, m in p.shared.items()}
    return sorted(names.items(), key=lambda item: item[1].lower())


@dataclass
class Multiple:
    partner: str
    svg: str
    latest: tuple[str, float] | None  # (period start, value)


def small_multiples(partners: list[Partner], code: str) -> tuple[list[Multiple], list[str], dict]:
    """One small chart per partner with data for the measure, on one shared scale, over the periods
    any partner has; returns the charts, the periods and {partner: {period: value}} for the table."""
    series = {p.name: {pt[0]: pt[2] for pt in p.shared[code]["points"]} for p in partners if code in p.shared}
    periods = sorted({start for values in series.values() for start in values})
    numbers = [v for values in series.values() for v in values.values() if v is not None]
    low, high = (min(numbers), max(numbers)) if numbers else (0.0, 1.0)
    name = next(p.shared[code]["name"] for p in partners if code in p.shared) if series else code
    out = []
    for n, (partner, values) in enumerate(series.items()):
        points = [(start, values.get(start)) for start in periods]
        shown = [(s, v) for s, v in points if v is not None]
        svg = charts.small_multiple(points, low=low, high=high, title=f"{name}: {partner}", chart_id=f"multiple-{n}")
        out.append(Multiple(partner, svg, shown[-1] if shown else None))
    return out, periods, series


@dataclass
class FunnelView:
    kind: str | None
    svg: str = ""
    target: float | None = None
    rows: list[dict] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    reason: str = ""
    scale: float = 1
    unit_label: str = ""

    @property
    def target_shown(self) -> float | None:
        return None if self.target is None else self.target * self.scale


def funnel_view(partners: list[Partner], code: str, *, title: str) -> FunnelView:
    """Each partner's latest period with a shown numerator and denominator, against the cohort's
    pooled value: binomial limits for percentages, Poisson for rates. Partners whose latest values
    are hidden (small numbers) are left out and named."""
    import pandas as pd

    from reports.dashboards.funnel import funnel

    units = {p.shared[code]["unit"] for p in partners if code in p.shared}
    unit = units.pop() if len(units) == 1 else ""
    if unit not in FUNNEL_KINDS:
        return FunnelView(None, reason="A funnel plot needs a percentage or a rate with its numerator and denominator.")
    kind, scale, axis = FUNNEL_KINDS[unit]
    points, left_out = [], []
    for p in partners:
        if code not in p.shared:
            continue
        latest = next((pt for pt in reversed(p.shared[code]["points"]) if pt[3] is not None and pt[4]), None)
        if latest is None:
            left_out.append(p.name)
        else:
            points.append({"label": p.name, "period": latest[0], "numerator": latest[3], "denominator": latest[4]})
    if not points:
        return FunnelView(kind, reason="No partner has a value that can be shown.", left_out=left_out)
    target, placed, curves = funnel(pd.DataFrame(points), kind=kind)
    rows = placed.to_dict("records")
    svg = charts.funnel_plot(
        target=target,
        placed=rows,
        curves=curves.to_dict("records"),
        scale=scale,
        title=title,
        chart_id="funnel",
        axis_label=axis,
    )
    return FunnelView(kind, svg, target, rows, left_out, scale=scale, unit_label=UNIT_LABELS_AFTER[unit])
