from django.urls import path, register_converter

from pine import routing
from reports import api, views
from reports.dashboards import api as dashboard_api
from reports.dashboards import views as dashboard_views


class ReportKindConverter:
    regex = "html|pdf"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ReportKindConverter, "report_kind")

# The front pages: named without a namespace, as every app (and the sign-in) sends people there.
front_urlpatterns = routing.pages(
    partner=[path("", views.PartnerHomeView.as_view(), name="partner_home")],
    practice=[path("", dashboard_views.ProgrammeDashboardView.as_view(), name="practice_home")],
)

app_name = "reports"

urlpatterns = routing.pages(
    partner=[
        path("evaluations/<uuid:code>/", views.EvaluationOverviewView.as_view(), name="evaluation"),
        path("evaluations/<uuid:code>/reports/", views.ReportRequestView.as_view(), name="report_request"),
        path(
            "evaluations/<uuid:code>/charts/<slug:measure>.<slug:kind>",
            dashboard_views.EvaluationChartDownloadView.as_view(),
            name="evaluation_chart",
        ),
        path("reports/<uuid:code>/", views.ReportDetailView.as_view(), name="report"),
        path("reports/<uuid:code>/download.<report_kind:kind>", views.ReportDownloadView.as_view(), name="report_download"),
    ],
    practice=[
        path("cohorts/<slug:slug>/dashboard/", dashboard_views.CohortDashboardView.as_view(), name="cohort_dashboard"),
        path(
            "cohorts/<slug:slug>/dashboard/<slug:chart>.<slug:kind>",
            dashboard_views.CohortChartDownloadView.as_view(),
            name="cohort_dashboard_download",
        ),
    ],
)

api_urlpatterns = routing.api(
    practice=[
        path("dashboard/", dashboard_api.ProgrammeDashboardView.as_view(), name="api_programme_dashboard"),
        path("cohorts/<slug:slug>/dashboard/", dashboard_api.CohortDashboardView.as_view(), name="api_cohort_dashboard"),
    ],
    partner=[
        path("evaluations/<uuid:code>/figures/", dashboard_api.EvaluationFiguresView.as_view(), name="api_evaluation_figures"),
        path("evaluations/<uuid:code>/reports/", api.ReportListView.as_view(), name="api_reports"),
        path("reports/<uuid:code>/", api.ReportDetailView.as_view(), name="api_report"),
        path("reports/<uuid:code>/<report_kind:kind>/", api.ReportFileView.as_view(), name="api_report_file"),
    ],
)
