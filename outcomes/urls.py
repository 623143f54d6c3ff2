from django.urls import path

from outcomes import api, approval_api, approval_views, views
from pine import routing

app_name = "outcomes"

SUBMISSION = "submissions/<uuid:code>/"

urlpatterns = routing.pages(
    partner=[
        path(SUBMISSION, views.SubmissionDetailView.as_view(), name="submission"),
        path(SUBMISSION + "problems.csv", views.SubmissionErrorsCsvView.as_view(), name="submission_problems"),
        path("evaluations/<uuid:code>/outcome-data/<str:name>", views.DataTemplateView.as_view(), name="data_template"),
        path("evaluations/<uuid:code>/period-queries/", approval_views.PeriodQueryListView.as_view(), name="period_queries"),
        path("period-queries/<uuid:code>/", approval_views.PeriodQueryView.as_view(), name="period_query"),
    ],
    practice=[
        path("evaluations/<uuid:code>/outcome-periods/", views.PracticePeriodsView.as_view(), name="practice_periods"),
        path(
            "evaluations/<uuid:code>/outcome-periods/<str:period>/",
            approval_views.PracticePeriodView.as_view(),
            name="practice_period",
        ),
    ],
)

api_urlpatterns = routing.api(
    partner=[
        path("evaluations/<uuid:code>/submissions/", api.SubmissionListView.as_view(), name="api_submissions"),
        path("evaluations/<uuid:code>/submissions/batch/", api.SubmissionBatchView.as_view(), name="api_submission_batch"),
        path(SUBMISSION, api.SubmissionDetailView.as_view(), name="api_submission"),
        path(SUBMISSION + "explanation/", api.SubmissionExplainView.as_view(), name="api_submission_explain"),
        path(SUBMISSION + "store/", api.SubmissionStoreView.as_view(), name="api_submission_store"),
        path(SUBMISSION + "discard/", api.SubmissionDiscardView.as_view(), name="api_submission_discard"),
        path("evaluations/<uuid:code>/period-queries/", approval_api.PeriodQueryListView.as_view(), name="api_period_queries"),
        path("period-queries/<uuid:code>/answer/", approval_api.PeriodQueryAnswerView.as_view(), name="api_period_query_answer"),
    ],
    practice=[
        path("evaluations/<uuid:code>/periods/", api.PracticePeriodListView.as_view(), name="api_practice_periods"),
        path(
            "evaluations/<uuid:code>/periods/unlock/", api.PracticePeriodUnlockView.as_view(), name="api_practice_period_unlock"
        ),
        path(
            "evaluations/<uuid:code>/periods/approve/",
            approval_api.PracticePeriodsApproveView.as_view(),
            name="api_practice_periods_approve",
        ),
        path(
            "evaluations/<uuid:code>/periods/review/",
            approval_api.PracticePeriodReviewView.as_view(),
            name="api_practice_period_review",
        ),
        path(
            "evaluations/<uuid:code>/periods/queries/",
            approval_api.PracticePeriodQueryListView.as_view(),
            name="api_practice_period_queries",
        ),
    ],
)
