"""Celery tasks: thin. An id in; the service re-fetches the row and sets the scope from it."""

from celery.signals import worker_process_init

from pine import jobs
from reports import services


@jobs.task
def build_report(report_id: int) -> str:
    return services.report_build(report_id=report_id)


@worker_process_init.connect
def _start_chart_renderer(**kwargs):
    # One headless browser per worker process for plotly's static images, instead of one per chart.
    from reports.documents import start_chart_renderer

    start_chart_renderer()
