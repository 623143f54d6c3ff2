"""The dashboards' charts as inline SVG: a control chart, a small multiple and a funnel plot.

Pure functions over plain data (the stored figures), drawn here rather than by plotly so a page
shows them without scripts and without a browser on the server, and a PNG is the same drawing
converted (cairosvg, as the theory-of-change diagram). Each SVG has a title and description for
screen readers; the page also gives every chart's numbers as a table."""

from datetime import date
from html import escape

BLUE, ORANGE, GREY, BLACK, MID_GREY = "#1d70b8", "#f47738", "#b1b4b6", "#0b0c0c", "#505a5f"
FONT = 'font-family="Arial, Helvetica, sans-serif"'


def _month(iso: str) -> str:
    return date.fromisoformat(iso[:10]).strftime("%b %Y")


def _ticks(low: float, high: float, count: int = 4) -> list[float]:
    step = (high - low) / count
    return [low + step * i for i in range(count + 1)]


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def _range(values: list[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    pad = (high - low) * 0.08 or max(abs(high) * 0.1, 1.0)
    return max(low - pad, 0.0) if low >= 0 else low - pad, high + pad


def _svg(width: int, height: int, chart_id: str, title: str, description: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" {FONT} font-size="12">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>'
        f'<rect width="100%" height="100%" fill="#ffffff"/>{"".join(body)}</svg>'
    )


def _polyline(points: list[tuple[float, float] | None], colour: str, *, width: float = 2, dash: str = "") -> list[str]:
    """Lines through the points, broken where a point is missing (None)."""
    parts, run = [], []
    for point in [*points, None]:
        if point is None:
            if len(run) > 1:
                coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                dashed = f' stroke-dasharray="{dash}"' if dash else ""
                parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="{width}"{dashed}/>')
            run = []
        else:
            run.append(point)
    return parts


def spc_chart(chart: dict, *, title: str, chart_id: str, width: int = 640, height: int = 300) -> str:
    """A control chart: the values, the centre line and the limits from the baseline (dashed), the
    intervention start (a vertical line) and the points beyond the limits (orange squares)."""
    points = chart["points"]
    left, right, top, bottom = 60, 16, 16, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    numbers = [p[k] for p in points for k in ("value", "lower", "upper") if p.get(k) is not None]
    numbers.append(chart["centre"])
    low, high = _range(numbers)

    def x(i: int) -> float:
        return left + (plot_w * i / max(len(points) - 1, 1))

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - low) / (high - low))

    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{BLACK}"/>']
    for tick in _ticks(low, high):
        body.append(f'<line x1="{left}" y1="{y(tick):.1f}" x2="{left + plot_w}" y2="{y(tick):.1f}" stroke="#f3f2f1"/>')
        body.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{_fmt(tick)}</text>')
    for i in sorted({0, len(points) // 2, len(points) - 1}):
        anchor = "start" if i == 0 else ("end" if i == len(points) - 1 else "middle")
        body.append(
            f'<text x="{x(i):.1f}" y="{top + plot_h + 18}" text-anchor="{anchor}">{_month(points[i]["period_start"])}</text>'
        )
    for key in ("upper", "lower"):
        body += _polyline(
            [(x(i), y(p[key])) if p.get(key) is not None else None for i, p in enumerate(points)], MID_GREY, width=1.5, dash="6 4"
        )
    centre = y(chart["centre"])
    body.append(f'<line x1="{left}" y1="{centre:.1f}" x2="{left + plot_w}" y2="{centre:.1f}" stroke="{BLACK}"/>')
    start = chart.get("intervention_start")
    after = [i for i, p in enumerate(points) if start and p["period_start"] >= start]
    if after:
        xi = x(after[0])
        body.append(f'<line x1="{xi:.1f}" y1="{top}" x2="{xi:.1f}" y2="{top + plot_h}" stroke="{BLACK}" stroke-dasharray="2 3"/>')
        body.append(f'<text x="{xi + 4:.1f}" y="{top + 12}">Intervention starts</text>')
    body += _polyline([(x(i), y(p["value"])) if p.get("value") is not None else None for i, p in enumerate(points)], BLUE)
    signals = 0
    for i, p in enumerate(points):
        if p.get("value") is None:
            continue
        if p.get("beyond_limits"):
            signals += 1
            body.append(
                f'<rect x="{x(i) - 5:.1f}" y="{y(p["value"]) - 5:.1f}" width="10" height="10" fill="{ORANGE}" stroke="{BLACK}"/>'
            )
        else:
            body.append(f'<circle cx="{x(i):.1f}" cy="{y(p["value"]):.1f}" r="3" fill="{BLUE}"/>')
    description = (
        f"{len(points)} periods from {_month(points[0]['period_start'])} to {_month(points[-1]['period_start'])}; "
        f"centre line {_fmt(chart['centre'])}; {signals} point{'s' if signals != 1 else ''} beyond the limits. "
        "The table below gives every value."
    )
    return _svg(width, height, chart_id, title, description, body)


def small_multiple(points: list[tuple[str, float | None]], *, low: float, high: float, title: str, chart_id: str) -> str:
    """One partner's series of a measure, on the scale shared by every partner's (low to high)."""
    width, height, pad = 220, 90, 6
    if high <= low:
        high = low + 1

    def x(i: int) -> float:
        return pad + (width - 2 * pad) * i / max(len(points) - 1, 1)

    def y(v: float) -> float:
        return pad + (height - 2 * pad) * (1 - (v - low) / (high - low))

    body = [f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="none" stroke="{GREY}"/>']
    body += _polyline([(x(i), y(v)) if v is not None else None for i, (_, v) in enumerate(points)], BLUE)
    shown = [v for _, v in points if v is not None]
    description = (
        f"{len(shown)} of {len(points)} periods shown; latest {_fmt(shown[-1])}." if shown else "No values can be shown."
    )
    return _svg(width, height, chart_id, title, description, body)


def funnel_plot(
    *, target: float, placed: list[dict], curves: list[dict], scale: float, title: str, chart_id: str, axis_label: str
) -> str:
    """Each partner's value (y) against its denominator (x), around the cohort's value, with the 95%
    (dashed) and 99.8% (solid) limits; points outside the 99.8% limits in orange."""
    width, height = 640, 340
    left, right, top, bottom = 64, 16, 16, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = [c["size"] for c in curves] + [p["denominator"] for p in placed]
    ys = [p["ratio"] * scale for p in placed] + [target * scale]
    ys += [c[k] * scale for c in curves for k in ("lower_99.8", "upper_99.8")]
    x_low, x_high = 0.0, max(xs) * 1.02
    y_low, y_high = _range(ys)

    def x(v: float) -> float:
        return left + plot_w * (v - x_low) / (x_high - x_low)

    def y(v: float) -> float:
        return top + plot_h * (1 - (v * scale - y_low) / (y_high - y_low))

    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{BLACK}"/>',
        f'<text x="{left + plot_w / 2}" y="{height - 8}" text-anchor="middle">{escape(axis_label)}</text>',
    ]
    for tick in _ticks(y_low, y_high):
        yy = top + plot_h * (1 - (tick - y_low) / (y_high - y_low))
        body.append(f'<line x1="{left}" y1="{yy:.1f}" x2="{left + plot_w}" y2="{yy:.1f}" stroke="#f3f2f1"/>')
        body.append(f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end">{_fmt(tick)}</text>')
    for n, tick in enumerate(_ticks(x_low, x_high)):
        anchor = "start" if n == 0 else ("end" if n == 4 else "middle")  # the end labels stay inside the chart
        body.append(f'<text x="{x(tick):.1f}" y="{top + plot_h + 18}" text-anchor="{anchor}">{_fmt(tick)}</text>')
    body.append(f'<line x1="{left}" y1="{y(target):.1f}" x2="{left + plot_w}" y2="{y(target):.1f}" stroke="{BLACK}"/>')
    for level, dash in (("95", "6 4"), ("99.8", "")):
        for side in ("lower", "upper"):
            body += _polyline([(x(c["size"]), y(c[f"{side}_{level}"])) for c in curves], MID_GREY, width=1.5, dash=dash)
    outside = 0
    for p in placed:
        if p["position"].endswith("99.8%"):
            outside += 1
            px, py = x(p["denominator"]) - 5, y(p["ratio"]) - 5
            body.append(f'<rect x="{px:.1f}" y="{py:.1f}" width="10" height="10" fill="{ORANGE}" stroke="{BLACK}"/>')
        else:
            body.append(f'<circle cx="{x(p["denominator"]):.1f}" cy="{y(p["ratio"]):.1f}" r="4" fill="{BLUE}"/>')
    description = (
        f"{len(placed)} partners around the cohort's value of {_fmt(target * scale)}; "
        f"{outside} outside the 99.8% limits. The table below gives every partner's value."
    )
    return _svg(width, height, chart_id, title, description, body)


VARIATION_COLOURS = {"common": GREY, "improving": BLUE, "concerning": ORANGE}
VARIATION_MARKS = {"common": "~", "improving": "+", "concerning": "!"}
ASSURANCE_MARKS = {"pass": "P", "fail": "F", "hit_and_miss": "?", "none": "–"}
ASSURANCE_COLOURS = {"pass": BLUE, "fail": ORANGE, "hit_and_miss": GREY, "none": "#ffffff"}


def icon(mark: str, colour: str) -> str:
    """A small round icon in the manner of Making Data Count (decorative: the page says it in words)."""
    text = BLACK if colour in (GREY, "#ffffff") else "#ffffff"
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32" aria-hidden="true" '
        f'focusable="false" {FONT}>'
        f'<circle cx="16" cy="16" r="14" fill="{colour}" stroke="{BLACK}" stroke-width="1.5"/>'
        f'<text x="16" y="21" text-anchor="middle" font-size="16" font-weight="bold" fill="{text}">{escape(mark)}</text></svg>'
    )


def panel_of(charts_with_labels: list[tuple[str, str]], *, title: str, columns: int = 4) -> str:
    """Small charts side by side, each with its label above, as one SVG (for the PNG download)."""
    cell_w, cell_h, label_h = 230, 90, 20
    rows = max((len(charts_with_labels) + columns - 1) // columns, 1)
    width, height = columns * cell_w, rows * (cell_h + label_h + 10) + 30
    body = [f'<text x="4" y="18" font-size="14" font-weight="bold">{escape(title)}</text>']
    for n, (label, svg) in enumerate(charts_with_labels):
        x, y = (n % columns) * cell_w, 30 + (n // columns) * (cell_h + label_h + 10)
        body.append(f'<text x="{x + 4}" y="{y + 14}">{escape(label[:34])}</text>')
        body.append(svg.replace("<svg ", f'<svg x="{x}" y="{y + label_h}" ', 1))
    return _svg(width, height, "panel", title, f"{len(charts_with_labels)} small charts.", body)
