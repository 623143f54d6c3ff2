"""Charts of one evaluation's values for the practice team's approval page, as plotly figure JSON:
the page embeds it as data (``json_script``) and ``static/pine/charts.js`` draws it with the
plotly.js PINE serves, so no inline script is needed (the Content-Security-Policy allows none).
Each chart has its table beside it."""

import html
import json

# Colour, dash and marker differ per group, so the lines can be told apart without colour.
GROUP_STYLE = {
    "intervention": {"color": "#1d70b8", "dash": "solid", "symbol": "circle"},
    "comparison": {"color": "#d4351c", "dash": "dash", "symbol": "square"},
    "all": {"color": "#505a5f", "dash": "dot", "symbol": "diamond"},
}
UNIT_LABELS = {"percentage": "Per cent", "rate_10k": "Rate per 10,000", "count": "Count", "days": "Days"}


def measure_figure(series: dict) -> dict:
    """A line chart of one measure (``outcomes.approval_selectors.measure_series``): a line per group."""
    import plotly.graph_objects as go  # only pages with charts need plotly

    figure = go.Figure()
    for index, (group, label) in enumerate(series["groups"]):
        style = GROUP_STYLE.get(group, GROUP_STYLE["all"])
        figure.add_trace(
            go.Scatter(
                x=[start.isoformat() for start, _ in series["rows"]],
                y=[None if values[index] is None else float(values[index]) for _, values in series["rows"]],
                name=label,
                mode="lines+markers",
                line={"color": style["color"], "dash": style["dash"], "width": 2.5},
                marker={"symbol": style["symbol"], "size": 7, "color": style["color"]},
            )
        )
    figure.update_layout(
        # The page's heading names the measure; the figure keeps an (escaped) title only for its metadata.
        meta={"title": html.escape(series["name"], quote=False)},
        template="simple_white",
        font={"family": "Arial, Helvetica, sans-serif", "size": 14, "color": "#0b0c0c"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0},
        margin={"l": 70, "r": 20, "t": 40, "b": 60},
        hovermode="x unified",
        height=360,
    )
    # One tick a period up to a year and a half of them, then fewer, so labels never repeat or crowd.
    periods = len(series["rows"])
    months = 1 if periods <= 18 else 3 if periods <= 36 else 6
    figure.update_xaxes(title_text="Period starting", tickformat="%b %Y", type="date", dtick=f"M{months}")
    figure.update_yaxes(
        title_text=UNIT_LABELS.get(series["unit"], series["unit"]), rangemode="tozero", showgrid=True, gridcolor="#dddddd"
    )
    return json.loads(figure.to_json())
