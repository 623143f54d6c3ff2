from django.urls import path, register_converter

from evaluations import api, views


class ReportKindConverter:
    regex = "html|pdf"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ReportKindConverter, "report_kind")


class DiagramKindConverter(ReportKindConverter):
    regex = "svg|png"


register_converter(DiagramKindConverter, "diagram_kind")

app_name = "evaluations"

urlpatterns = [
    path("p/<slug:partner_slug>/evaluations/<uuid:code>/", views.EvaluationDetailView.as_view(), name="detail"),
    path("p/<slug:partner_slug>/evaluations/<uuid:code>/reports/", views.ReportRequestView.as_view(), name="report_request"),
    path("p/<slug:partner_slug>/evaluations/<uuid:code>/onboarding/", views.OnboardingView.as_view(), name="onboarding"),
    path(
        "p/<slug:partner_slug>/evaluations/<uuid:code>/onboarding/agreement",
        views.DsaDocumentView.as_view(),
        name="dsa_document",
    ),
    path("p/<slug:partner_slug>/evaluations/<uuid:code>/milestones/", views.MilestoneListView.as_view(), name="milestones"),
    path("p/<slug:partner_slug>/milestones/<uuid:code>/", views.MilestoneEditView.as_view(), name="milestone_edit"),
    path("p/<slug:partner_slug>/evaluations/<uuid:code>/meetings/new/", views.MeetingCreateView.as_view(), name="meeting_create"),
    path("practice/evaluations/<uuid:code>/", views.PracticeEvaluationView.as_view(), name="practice_evaluation"),
    path("p/<slug:partner_slug>/evaluations/<uuid:code>/plan/", views.PlanView.as_view(), name="plan"),
    path("p/<slug:partner_slug>/evaluations/<uuid:code>/theory-of-change/", views.TheoryView.as_view(), name="theory"),
    path(
        "p/<slug:partner_slug>/evaluations/<uuid:code>/theory-of-change.<diagram_kind:kind>",
        views.TheoryDownloadView.as_view(),
        name="theory_download",
    ),
    path("p/<slug:partner_slug>/evaluations/<uuid:code>/plan/compare/", views.PlanCompareView.as_view(), name="plan_compare"),
    path(
        "practice/evaluations/<uuid:code>/plan/sign-off/", views.PracticePlanSignOffView.as_view(), name="practice_plan_sign_off"
    ),
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
    path("partners/<slug:partner_slug>/evaluations/<uuid:code>/onboarding/", api.OnboardingView.as_view(), name="api_onboarding"),
    path(
        "partners/<slug:partner_slug>/evaluations/<uuid:code>/milestones/",
        api.MilestoneListView.as_view(),
        name="api_milestones",
    ),
    path("partners/<slug:partner_slug>/milestones/<uuid:code>/", api.MilestoneDetailView.as_view(), name="api_milestone"),
    path("partners/<slug:partner_slug>/evaluations/<uuid:code>/plan/", api.PlanView.as_view(), name="api_plan"),
    path("partners/<slug:partner_slug>/evaluations/<uuid:code>/theory-of-change/", api.TheoryView.as_view(), name="api_theory"),
    path(
        "partners/<slug:partner_slug>/evaluations/<uuid:code>/plan/versions/",
        api.PlanVersionListView.as_view(),
        name="api_plan_versions",
    ),
    path("practice/evaluations/<uuid:code>/plan/sign-off/", api.PracticePlanSignOffView.as_view(), name="api_plan_sign_off"),
    path("partners/<slug:partner_slug>/evaluations/<uuid:code>/meetings/", api.MeetingListView.as_view(), name="api_meetings"),
]
