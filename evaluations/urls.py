from django.urls import path, register_converter

from evaluations import api, views
from pine import routing


class DiagramKindConverter:
    regex = "svg|png"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(DiagramKindConverter, "diagram_kind")

app_name = "evaluations"

EVALUATION = "evaluations/<uuid:code>/"

urlpatterns = routing.pages(
    partner=[
        path(EVALUATION + "onboarding/", views.OnboardingView.as_view(), name="onboarding"),
        path(EVALUATION + "onboarding/agreement", views.DsaDocumentView.as_view(), name="dsa_document"),
        path(EVALUATION + "milestones/", views.MilestoneListView.as_view(), name="milestones"),
        path("milestones/<uuid:code>/", views.MilestoneEditView.as_view(), name="milestone_edit"),
        path(EVALUATION + "meetings/new/", views.MeetingCreateView.as_view(), name="meeting_create"),
        path(EVALUATION + "plan/", views.PlanView.as_view(), name="plan"),
        path(EVALUATION + "plan/compare/", views.PlanCompareView.as_view(), name="plan_compare"),
        path(EVALUATION + "theory-of-change/", views.TheoryView.as_view(), name="theory"),
        path(EVALUATION + "theory-of-change/elements/<str:element>/", views.TheoryElementView.as_view(), name="theory_element"),
        path(
            "evaluations/<uuid:code>/theory-of-change.<diagram_kind:kind>",
            views.TheoryDownloadView.as_view(),
            name="theory_download",
        ),
        path("measures/", views.MeasureListView.as_view(), name="measures"),
        path(EVALUATION + "measures/new/", views.LocalMeasureCreateView.as_view(), name="measure_create"),
    ],
    practice=[
        path(EVALUATION, views.PracticeEvaluationView.as_view(), name="practice_evaluation"),
        path(EVALUATION + "plan/sign-off/", views.PracticePlanSignOffView.as_view(), name="practice_plan_sign_off"),
        path(EVALUATION + "agreement/", views.PracticeAgreementView.as_view(), name="practice_agreement"),
        path(EVALUATION + "agreement/file", views.PracticeAgreementDocumentView.as_view(), name="practice_agreement_document"),
    ],
)

api_urlpatterns = routing.api(
    partner=[
        path("evaluations/", api.EvaluationListView.as_view(), name="api_evaluations"),
        path(EVALUATION, api.EvaluationDetailView.as_view(), name="api_evaluation"),
        path(EVALUATION + "population/", api.PopulationView.as_view(), name="api_population"),
        path(EVALUATION + "onboarding/", api.OnboardingView.as_view(), name="api_onboarding"),
        path(EVALUATION + "milestones/", api.MilestoneListView.as_view(), name="api_milestones"),
        path("milestones/<uuid:code>/", api.MilestoneDetailView.as_view(), name="api_milestone"),
        path(EVALUATION + "plan/", api.PlanView.as_view(), name="api_plan"),
        path(EVALUATION + "plan/versions/", api.PlanVersionListView.as_view(), name="api_plan_versions"),
        path(EVALUATION + "plan/submit/", api.PlanSubmitView.as_view(), name="api_plan_submit"),
        path(EVALUATION + "theory-of-change/", api.TheoryView.as_view(), name="api_theory"),
        path(EVALUATION + "meetings/", api.MeetingListView.as_view(), name="api_meetings"),
        path("local-measures/", api.LocalMeasureListView.as_view(), name="api_local_measures"),
    ],
    practice=[
        path("evaluations/", api.PracticeEvaluationListView.as_view(), name="api_practice_evaluations"),
        path(EVALUATION + "plan/sign-off/", api.PracticePlanSignOffView.as_view(), name="api_plan_sign_off"),
        path(EVALUATION + "plan/request-changes/", api.PracticePlanRequestChangesView.as_view(), name="api_plan_request_changes"),
    ],
)
