from django.urls import path, register_converter

from evaluations import api, views


class ReportKindConverter:
    regex = "html|pdf"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ReportKindConverter, "report_kind")

app_name = "evaluations"

urlpatterns = [
    path("p/<slug:partner_slug>/evaluations/<uuid:code>/", views.EvaluationDetailView.as_view(), name="detail"),
    path("p/<slug:partner_slug>/evaluations/<uuid:code>/reports/", views.ReportRequestView.as_view(), name="report_request"),
    path("p/<slug:partner_slug>/reports/<uuid:code>/", views.ReportDetailView.as_view(), name="report"),
    path(
        "p/<slug:partner_slug>/reports/<uuid:code>/download.<report_kind:kind>",
        views.ReportDownloadView.as_view(),
        name="report_download",
    ),
]

api_urlpatterns = [
    path("partners/<slug:partner_slug>/evaluations/", api.EvaluationListView.as_view(), name="api_evaluations"),
    path("partners/<slug:partner_slug>/evaluations/<uuid:code>/", api.EvaluationDetailView.as_view(), name="api_evaluation"),
    path("partners/<slug:partner_slug>/evaluations/<uuid:code>/reports/", api.ReportListView.as_view(), name="api_reports"),
    path("partners/<slug:partner_slug>/reports/<uuid:code>/", api.ReportDetailView.as_view(), name="api_report"),
    path(
        "partners/<slug:partner_slug>/reports/<uuid:code>/<report_kind:kind>/",
        api.ReportFileView.as_view(),
        name="api_report_file",
    ),
    path("practice/evaluations/", api.PracticeEvaluationListView.as_view(), name="api_practice_evaluations"),
]
