"""Celery tasks: thin. An id in; the service re-fetches the row and sets the scope from it."""

import gc

from celery.signals import worker_process_init, worker_ready

from pine import jobs
from reports import services
from reports.dashboards import services as dashboard_services
from reports.models import Report, ReportFinalisation


@jobs.task
def build_report(report_id: int) -> str:
    return services.report_build(report_id=report_id)


@jobs.task
def finalise_report(finalisation_id: int) -> str:
    return services.report_finalise(finalisation_id=finalisation_id)


@jobs.task
def resume_reports() -> int:
    """Send again the report builds and finalisations no worker has (beat, and each worker as it starts)."""
    return jobs.resume(Report, build_report) + jobs.resume(ReportFinalisation, finalise_report)


@worker_ready.connect
def _resume_on_start(**kwargs):
    resume_reports.delay()


@worker_process_init.connect
def _warm_up(**kwargs):
    warm_up()


def warm_up() -> None:
    """Ready a worker process for its jobs: one headless browser for plotly's static images (instead
    of one per chart), and what it has imported kept out of the garbage collector's full passes."""
    from reports.documents import start_chart_renderer  # pandas, plotly, statsmodels, WeasyPrint

    start_chart_renderer()
    # The modules live as long as the process; a full collection walks every one of their objects,
    # and a report's build makes enough objects to set off many (a third of the analysis's time).
    gc.freeze()


@jobs.task
def refresh_figures(figures_id: int) -> str:
    """Refresh one evaluation's dashboard figures (queued, debounced, by a change to it)."""
    return dashboard_services.figures_refresh(figures_id=figures_id)


@jobs.task
def resume_figures() -> int:
    """Send again the figure refreshes still queued (beat)."""
    return dashboard_services.figures_resume()
