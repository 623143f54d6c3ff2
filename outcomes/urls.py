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
]

api_urlpatterns = [
    path("measures/", api.MeasureListView.as_view(), name="api_measures"),
    path(
        "partners/<slug:partner_slug>/evaluations/<uuid:code>/submissions/",
        api.SubmissionListView.as_view(),
        name="api_submissions",
    ),
    path("partners/<slug:partner_slug>/submissions/<uuid:code>/", api.SubmissionDetailView.as_view(), name="api_submission"),
]
