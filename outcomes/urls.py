from django.urls import path

from outcomes import api, views

app_name = "outcomes"

urlpatterns = [
    path("p/<slug:partner_slug>/submissions/<uuid:code>/", views.SubmissionDetailView.as_view(), name="submission"),
    path(
        "p/<slug:partner_slug>/submissions/<uuid:code>/problems.csv",
        views.SubmissionErrorsCsvView.as_view(),
        name="submission_problems",
    ),
    path(
        "p/<slug:partner_slug>/evaluations/<uuid:code>/outcome-data/<str:name>",
        views.DataTemplateView.as_view(),
        name="data_template",
    ),
    path("practice/evaluations/<uuid:code>/outcome-periods/", views.PracticePeriodsView.as_view(), name="practice_periods"),
]

api_urlpatterns = [
    path("measures/", api.MeasureListView.as_view(), name="api_measures"),
    path(
        "partners/<slug:partner_slug>/evaluations/<uuid:code>/submissions/",
        api.SubmissionListView.as_view(),
        name="api_submissions",
    ),
    path(
        "partners/<slug:partner_slug>/evaluations/<uuid:code>/submissions/batch/",
        api.SubmissionBatchView.as_view(),
        name="api_submission_batch",
    ),
    path("partners/<slug:partner_slug>/submissions/<uuid:code>/", api.SubmissionDetailView.as_view(), name="api_submission"),
    path(
        "partners/<slug:partner_slug>/submissions/<uuid:code>/explanation/",
        api.SubmissionExplainView.as_view(),
        name="api_submission_explain",
    ),
    path("practice/evaluations/<uuid:code>/periods/", api.PracticePeriodListView.as_view(), name="api_practice_periods"),
    path(
        "practice/evaluations/<uuid:code>/periods/unlock/",
        api.PracticePeriodUnlockView.as_view(),
        name="api_practice_period_unlock",
    ),
]
