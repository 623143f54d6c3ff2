from django.urls import path, register_converter

from pine import routing
from reports import api, practice_evaluation, practice_evaluation_api, queue_views, views
from reports.dashboards import api as dashboard_api
from reports.dashboards import views as dashboard_views


class ReportKindConverter:
    regex = "html|pdf|json"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ReportKindConverter, "report_kind")

# The front pages: named without a namespace, as every app (and the sign-in) sends people there.
front_urlpatterns = routing.pages(
    partner=[path("", views.PartnerHomeView.as_view(), name="partner_home")],
    practice=[
        path("", dashboard_views.ProgrammeDashboardView.as_view(), name="practice_home"),
        path("queue/", queue_views.PracticeQueueView.as_view(), name="practice_queue"),
    ],
) + [path("assets/plotly-<str:version>.min.js", views.PlotlyJsView.as_view(), name="plotly_js")]

app_name = "reports"

# The practice team's read-only sections of an evaluation (its overview is evaluations:practice_evaluation).
EVALUATION = "evaluations/<uuid:code>/"
practice_evaluation_urls = [
    path(EVALUATION + "data/", practice_evaluation.DataView.as_view(), name="practice_evaluation_data"),
    path(EVALUATION + "uploads/", practice_evaluation.UploadListView.as_view(), name="practice_evaluation_uploads"),
    path(
        EVALUATION + "uploads/<uuid:upload_code>/",
        practice_evaluation.UploadDetailView.as_view(),
        name="practice_evaluation_upload",
    ),
    path(EVALUATION + "value-history/", practice_evaluation.ValueHistoryView.as_view(), name="practice_evaluation_history"),
    path(EVALUATION + "theory-of-change/", practice_evaluation.TheoryView.as_view(), name="practice_evaluation_theory"),
    path(EVALUATION + "plan/", practice_evaluation.PlanView.as_view(), name="practice_evaluation_plan"),
    path(EVALUATION + "onboarding/", practice_evaluation.OnboardingView.as_view(), name="practice_evaluation_onboarding"),
    path(
        EVALUATION + "onboarding/agreement",
        practice_evaluation.AgreementDownloadView.as_view(),
        name="practice_evaluation_agreement",
    ),
    path(EVALUATION + "reports/", practice_evaluation.ReportListView.as_view(), name="practice_evaluation_reports"),
    path(
        EVALUATION + "reports/<uuid:report_code>/download.<report_kind:kind>",
        practice_evaluation.ReportDownloadView.as_view(),
        name="practice_evaluation_report_download",
    ),
]

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
        *practice_evaluation_urls,
        path("cohorts/<slug:slug>/dashboard/", dashboard_views.CohortDashboardView.as_view(), name="cohort_dashboard"),
        path(
            "cohorts/<slug:slug>/dashboard/<slug:chart>.<slug:kind>",
            dashboard_views.CohortChartDownloadView.as_view(),
            name="cohort_dashboard_download",
        ),
    ],
)

api_urlpatterns = routing.api(
    partner=[
        path("evaluations/<uuid:code>/figures/", dashboard_api.EvaluationFiguresView.as_view(), name="api_evaluation_figures"),
        path("evaluations/<uuid:code>/reports/", api.ReportListView.as_view(), name="api_reports"),
        path("reports/<uuid:code>/", api.ReportDetailView.as_view(), name="api_report"),
        path("reports/<uuid:code>/<report_kind:kind>/", api.ReportFileView.as_view(), name="api_report_file"),
    ],
    practice=[
        path("queue/", queue_views.PracticeQueueAPIView.as_view(), name="api_practice_queue"),
        path("dashboard/", dashboard_api.ProgrammeDashboardView.as_view(), name="api_programme_dashboard"),
        path("cohorts/<slug:slug>/dashboard/", dashboard_api.CohortDashboardView.as_view(), name="api_cohort_dashboard"),
        path(EVALUATION + "values/", practice_evaluation_api.ValueListView.as_view(), name="api_practice_values"),
        path(EVALUATION + "submissions/", practice_evaluation_api.SubmissionListView.as_view(), name="api_practice_submissions"),
        path(
            EVALUATION + "value-history/", practice_evaluation_api.ValueHistoryView.as_view(), name="api_practice_value_history"
        ),
        path(
            EVALUATION + "theory-of-change/versions/",
            practice_evaluation_api.TheoryVersionListView.as_view(),
            name="api_practice_theory_versions",
        ),
        path(
            EVALUATION + "plan/versions/",
            practice_evaluation_api.PlanVersionListView.as_view(),
            name="api_practice_plan_versions",
        ),
        path(
            EVALUATION + "plan/comparison/",
            practice_evaluation_api.PlanComparisonView.as_view(),
            name="api_practice_plan_comparison",
        ),
        path(EVALUATION + "onboarding/", practice_evaluation_api.OnboardingView.as_view(), name="api_practice_onboarding"),
        path(EVALUATION + "milestones/", practice_evaluation_api.MilestoneListView.as_view(), name="api_practice_milestones"),
        path(EVALUATION + "meetings/", practice_evaluation_api.MeetingListView.as_view(), name="api_practice_meetings"),
        path(EVALUATION + "reports/", practice_evaluation_api.ReportListView.as_view(), name="api_practice_reports"),
    ],
)
