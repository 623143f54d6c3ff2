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
    path("p/<slug:partner_slug>/measures/", views.MeasureListView.as_view(), name="measures"),
    path("p/<slug:partner_slug>/measures/<slug:measure_code>/", views.MeasureDetailView.as_view(), name="measure"),
    path("p/<slug:partner_slug>/measures/<slug:measure_code>/edit/", views.LocalMeasureEditView.as_view(), name="measure_edit"),
    path(
        "p/<slug:partner_slug>/evaluations/<uuid:code>/measures/new/",
        views.LocalMeasureCreateView.as_view(),
        name="measure_create",
    ),
    path("practice/measures/", views.PracticeLibraryView.as_view(), name="practice_library"),
    path("practice/measures/<slug:measure_code>/", views.PracticeMeasureView.as_view(), name="practice_measure"),
    path("practice/measures/<slug:measure_code>/edit/", views.PracticeMeasureEditView.as_view(), name="practice_measure_edit"),
    path("practice/local-measures/", views.PracticeLocalMeasuresView.as_view(), name="practice_local_measures"),
    path(
        "practice/local-measures/<slug:partner_slug>/<slug:measure_code>/promote/",
        views.PracticePromoteView.as_view(),
        name="practice_promote",
    ),
]

api_urlpatterns = [
    path("measures/", api.MeasureListView.as_view(), name="api_measures"),
    path("partners/<slug:partner_slug>/measures/", api.PartnerMeasureListView.as_view(), name="api_partner_measures"),
    path("partners/<slug:partner_slug>/local-measures/", api.LocalMeasureListView.as_view(), name="api_local_measures"),
    path(
        "partners/<slug:partner_slug>/local-measures/<slug:code>/",
        api.LocalMeasureDetailView.as_view(),
        name="api_local_measure",
    ),
    path("practice/measures/", api.PracticeMeasureListView.as_view(), name="api_practice_measures"),
    path("practice/measures/<slug:code>/", api.PracticeMeasureDetailView.as_view(), name="api_practice_measure"),
    path("practice/local-measures/", api.PracticeLocalMeasureListView.as_view(), name="api_practice_local_measures"),
    path(
        "practice/local-measures/<slug:partner_slug>/<slug:code>/promote/",
        api.PracticePromoteView.as_view(),
        name="api_practice_promote",
    ),
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
