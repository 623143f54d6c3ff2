"""Dashboard pages: the programme dashboard (the practice team's home), a cohort's dashboard, and the
figures of the partner hub. Each reads stored figures (``selectors``) and draws them; none
aggregates outcome rows."""

import logging

from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.generic import TemplateView
from redis.exceptions import RedisError

from cohorts.selectors import applications as cohort_selectors
from evaluations import selectors as evaluation_selectors
from pine import exports
from pine.access import ADMINS_AND_ANALYSTS, EVERY_PRACTICE_ROLE
from pine.scoping import PartnerView, PracticeView
from reports.dashboards import charts, rules, selectors
from reports.dashboards import cohort as cohort_charts
from reports.dashboards.forms import MeasureChoiceForm, ProgrammeFilterForm

logger = logging.getLogger(__name__)

DOWNLOADS = ("csv", "xlsx")
RENDERED_SECONDS = 24 * 3600


def rendered(key: str, render) -> str:
    """A rendered part of a dashboard, from the cache. Figures change only when the worker stores new
    ones, and the key holds what they depend on (when they were computed), so a cached part is never
    older than the figures: it saves drawing dozens of charts and tables on every request."""
    return _cached(key, render)


def _cached(key: str, compute):
    """``compute()``, kept in the cache for a day. With Redis away or stuck the page is worked out
    afresh (slower, but it answers): a cache is never a reason to fail."""
    key = f"pine:dashboards:{key}"
    try:
        value = cache.get(key)
    except RedisError:
        logger.warning("Dashboard cache unavailable: computing %s afresh", key)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, RENDERED_SECONDS)
        except RedisError:
            logger.warning("Dashboard cache unavailable: %s not kept", key)
    return value


def status_rules() -> dict:
    """The status rules in words, for the pages that show a status."""
    return {
        "at_risk": rules.STATUS_RULES[rules.AT_RISK],
        "needs_attention": rules.STATUS_RULES[rules.NEEDS_ATTENTION],
        "data_due": rules.DATA_DUE_RULE,
    }


class ProgrammeDashboardView(PracticeView, TemplateView):
    """The practice team's home: every cohort and, within it, every evaluation with its stage, data,
    approvals, milestones, latest report and status, filtered and sorted by a GET form and
    downloadable as CSV or XLSX. Reviewers see only the way to their reviews."""

    template_name = "reports/practice_home.html"
    practice_roles = EVERY_PRACTICE_ROLE

    def get(self, request, *args, **kwargs):
        if not self.access.has_practice_role(ADMINS_AND_ANALYSTS):
            return self.render_to_response(self.get_context_data())
        cohorts = list(cohort_selectors.cohort_list())
        form = ProgrammeFilterForm(request.GET or None, cohorts=cohorts)
        filters = form.filters() if request.GET else {"cohort": "", "stage": "", "status": "", "sort": "partner"}
        groups = selectors.programme_rows(cohorts=cohorts, **filters)
        download = request.GET.get("download")
        if download in DOWNLOADS:
            header, rows = selectors.programme_table(groups)
            name = f"pine-programme-{timezone.localdate():%Y-%m-%d}.{download}"
            if download == "csv":
                return exports.csv_response(name, header, rows)
            return exports.xlsx_response(name, header, rows, sheet_title="Programme")
        query = request.GET.copy()
        query.pop("download", None)
        return self.render_to_response(
            self.get_context_data(
                form=form,
                groups=groups,
                filtered=any(filters[k] for k in ("cohort", "stage", "status")),
                shown=sum(len(g.rows) for g in groups),
                query=query.urlencode(),
                status_rules=status_rules(),
                stages=rules.STAGES,
                statuses=rules.STATUSES,
            )
        )


# --- a cohort's dashboard ---------------------------------------------------------------------------


def _cohort_partners(cohort) -> tuple[list, object]:
    """The cohort's partners as the dashboard reads them (shared figures only), and the latest time
    any of their figures was computed."""
    rows = selectors.cohort_figures(cohort=cohort)
    partners = [cohort_charts.Partner(e.partner.name, f.completeness if f else [], f.shared if f else {}) for e, f in rows]
    computed = [f.computed_at for _, f in rows if f and f.computed_at]
    stale = [e.partner.name for e, f in rows if f is None or f.is_stale]
    return partners, (max(computed) if computed else None), stale


class CohortMixin:
    def scoped_object(self):
        return cohort_selectors.cohort_get(slug=self.kwargs["slug"])


class CohortDashboardView(CohortMixin, PracticeView, TemplateView):
    """A cohort's dashboard: completeness (partner x period), small multiples of one standard measure
    across the partners and its funnel plot, each with a table, a PNG and a CSV. Drawn from the
    stored figures once for each version of them (``selectors.cohort_version``), then cached."""

    template_name = "reports/cohort_dashboard.html"

    def get_context_data(self, **kwargs):
        cohort = self.object
        version = selectors.cohort_version(cohort=cohort)
        loaded = []  # the partners' figures, read from the database at most once, and only on a miss

        def partners():
            if not loaded:
                loaded.append(_cohort_partners(cohort))
            return loaded[0]

        choices = cache_choices(f"cohort:{version}:choices", lambda: cohort_charts.measure_choices(partners()[0]))
        form = MeasureChoiceForm(self.request.GET or None, measures=choices)
        code = (form.cleaned_data.get("measure") if form.is_valid() else "") or (choices[0][0] if choices else "")
        body = rendered(f"cohort:{version}:{code}", lambda: render_cohort_body(cohort, *partners(), code, dict(choices)))
        return super().get_context_data(cohort=cohort, form=form, body=body, **kwargs)


def cache_choices(key: str, compute) -> list:
    return [tuple(c) for c in _cached(key, compute)]


def render_cohort_body(cohort, partners, computed_at, stale, code: str, names: dict) -> str:
    name = names.get(code, "")
    multiples, periods, series = cohort_charts.small_multiples(partners, code) if code else ([], [], {})
    funnel = cohort_charts.funnel_view(partners, code, title=f"Funnel plot: {name}") if code else None
    return render_to_string(
        "reports/_cohort_dashboard_body.html",
        {
            "cohort": cohort,
            "measure_code": code,
            "measure_name": name,
            "grid": cohort_charts.completeness_grid(partners),
            "letters": [(cohort_charts.GRID_LETTERS[s], label) for s, label in rules.PERIOD_STATES.items() if s != rules.NOT_DUE],
            "multiples": multiples,
            "table_periods": periods[-12:],
            "table_rows": [(partner, [values.get(p) for p in periods[-12:]]) for partner, values in series.items()],
            "funnel": funnel,
            "computed_at": computed_at,
            "stale": stale,
        },
    )


CHARTS = {"completeness": ("csv",), "multiples": ("csv", "png"), "funnel": ("csv", "png")}


class CohortChartDownloadView(CohortMixin, PracticeView):
    """A cohort dashboard chart's data as CSV, or the chart as PNG."""

    def get(self, request, slug, chart, kind):
        if kind not in CHARTS.get(chart, ()):
            raise Http404("No such download.")
        cohort = self.object
        partners, _, _ = _cohort_partners(cohort)
        choices = dict(cohort_charts.measure_choices(partners))
        code = request.GET.get("measure", "")
        name = f"pine-{cohort.slug}-{chart}"
        if chart == "completeness":
            grid = cohort_charts.completeness_grid(partners)
            labels = rules.PERIOD_STATES
            rows = [[partner, *[labels.get(s, "") for s in states]] for partner, states in grid.all_rows]
            return exports.csv_response(f"{name}.csv", ["Partner", *grid.all_periods], rows)
        if code not in choices:
            raise Http404("No such measure.")
        name = f"{name}-{code}"
        if chart == "multiples":
            multiples, periods, series = cohort_charts.small_multiples(partners, code)
            if kind == "png":
                svg = charts.panel_of([(m.partner, m.svg) for m in multiples], title=choices[code])
                return png_response(svg, f"{name}.png")
            rows = [[partner, period, values.get(period)] for partner, values in series.items() for period in periods]
            return exports.csv_response(f"{name}.csv", ["Partner", "Period start", "Value"], rows)
        funnel = cohort_charts.funnel_view(partners, code, title=f"Funnel plot: {choices[code]}")
        if kind == "png":
            if not funnel.svg:
                raise Http404("No funnel plot for this measure.")
            return png_response(funnel.svg, f"{name}.png")
        header = ["Partner", "Period start", "Numerator", "Denominator", "Value", "Where it lies"]
        rows = [
            [r["label"], r["period"], r["numerator"], r["denominator"], r["ratio"] * funnel.scale, r["position"]]
            for r in funnel.rows
        ]
        return exports.csv_response(f"{name}.csv", header, rows)


def png_response(svg: str, filename: str) -> HttpResponse:
    import cairosvg  # loads libcairo: only when someone asks for a PNG

    response = HttpResponse(cairosvg.svg2png(bytestring=svg.encode(), scale=2), content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- the partner hub's figures ------------------------------------------------------------------------

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
UNIT_SUFFIX = {"percentage": "%", "rate_10k": " per 10,000", "days": " days", "count": ""}


def year_grid(completeness: list) -> list[tuple[int, list[str]]]:
    """The completeness of an evaluation's periods as years (rows) by months (columns), each cell the
    state of the period starting that month ("" where none)."""
    states = {(int(start[:4]), int(start[5:7])): state for start, state in completeness}
    years = sorted({year for year, _ in states})
    return [(year, [states.get((year, month), "") for month in range(1, 13)]) for year in years]


def measure_sections(figures) -> list[dict]:
    """Each measure of the figures with its control chart drawn and its icons, for the hub."""
    sections = []
    for n, m in enumerate(figures.measures):
        chart = m.get("chart")
        variation = rules.VARIATION_ICONS.get(m.get("variation") or "")
        assurance = m.get("assurance") or "none"
        sections.append(
            {
                **m,
                "anchor": f"measure-{n}",
                "svg": charts.spc_chart(chart, title=f"Control chart: {m['name']}", chart_id=f"spc-{n}") if chart else "",
                "variation_icon": charts.icon(charts.VARIATION_MARKS[variation[0]], charts.VARIATION_COLOURS[variation[0]])
                if variation
                else "",
                "variation_label": variation[1] if variation else "",
                "assurance_icon": charts.icon(charts.ASSURANCE_MARKS[assurance], charts.ASSURANCE_COLOURS[assurance]),
                "assurance_label": rules.ASSURANCE_ICONS[assurance],
                "suffix": UNIT_SUFFIX.get(m["unit"], ""),
                "rows": _chart_rows(m),
            }
        )
    return sections


def _chart_rows(m: dict) -> list[dict]:
    """The values table: each period's values by group, with the control limits where charted."""
    limits = {p["period_start"][:10]: p for p in (m.get("chart") or {}).get("points", [])}
    rows = []
    for line in m["table"]:
        point = limits.get(line["start"], {})
        rows.append(
            {
                "start": line["start"],
                "end": line["end"],
                "approved": line["approved"],
                "values": [line.get(g) for g in m["groups"]],
                "lower": point.get("lower"),
                "upper": point.get("upper"),
                "signal": point.get("beyond_limits", False),
            }
        )
    return rows


def hub_context(*, partner, evaluation) -> dict:
    """What the partner hub shows from the evaluation's stored figures: the task list with the next
    thing to do, the status, and "your data" (the completeness grid and each measure's control
    chart, drawn once for each computation of the figures, then cached)."""
    figures = selectors.figures_get(partner=partner, evaluation=evaluation, with_measures=False)
    if figures is None or figures.computed_at is None:
        return {"figures": None}
    tasks = [t | {"label": rules.TASK_STATUSES[t["status"]]} for t in figures.tasks]

    def your_data() -> str:
        return render_to_string(
            "reports/_hub_data.html",
            {
                "partner": partner,
                "evaluation": evaluation,
                "figures": figures,
                "year_grid": year_grid(figures.completeness),
                "months": MONTHS,
                "period_states": list(rules.PERIOD_STATES.items()),
                "measure_sections": measure_sections(figures),  # reads the per-measure figures
            },
        )

    return {
        "figures": figures,
        "tasks": tasks,
        "next_task": next((t for t in tasks if t["status"] in (rules.IN_PROGRESS, rules.NOT_STARTED)), None),
        "status_label": rules.STATUSES[figures.status],
        "stage_label": rules.STAGES[figures.stage],
        "status_rules": status_rules(),
        # The partner is in the key through the figures' own row (found in the partner's scope).
        "your_data": rendered(f"hub:{figures.pk}:{figures.computed_at.isoformat()}", your_data),
    }


class EvaluationChartDownloadView(PartnerView):
    """One measure's control chart as PNG, or its values and limits as CSV (the partner's own data)."""

    def scoped_object(self):
        return evaluation_selectors.evaluation_get(partner=self.partner, code=self.kwargs["code"])

    def get(self, request, partner_slug, code, measure, kind):
        figures = selectors.figures_get(partner=self.partner, evaluation=self.object)
        found = next((m for m in (figures.measures if figures else []) if m["code"] == measure), None)
        if found is None or kind not in ("png", "csv") or (kind == "png" and not found.get("chart")):
            raise Http404("No such chart.")
        name = f"pine-{measure}"
        if kind == "png":
            return png_response(charts.spc_chart(found["chart"], title=found["name"], chart_id="spc"), f"{name}.png")
        header = ["Period start", "Period end", *[g.title() for g in found["groups"]], "Approved", "Lower limit", "Upper limit"]
        rows = [
            [r["start"], r["end"], *r["values"], "Yes" if r["approved"] else "No", r["lower"], r["upper"]]
            for r in _chart_rows(found)
        ]
        return exports.csv_response(f"{name}.csv", header, rows)
