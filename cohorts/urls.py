from django.urls import path

from cohorts import api, views

app_name = "cohorts"

urlpatterns = [
    path("cohorts/", views.PublicCohortListView.as_view(), name="public_list"),
    path("cohorts/<slug:cohort_slug>/", views.PublicCohortDetailView.as_view(), name="public_detail"),
    path("p/<slug:partner_slug>/apply/<slug:cohort_slug>/", views.ApplicationCreateView.as_view(), name="application_create"),
    path("p/<slug:partner_slug>/applications/<uuid:code>/", views.ApplicationDetailView.as_view(), name="application_detail"),
    path("practice/cohorts/new/", views.PracticeCohortCreateView.as_view(), name="practice_cohort_create"),
    path("practice/cohorts/<slug:cohort_slug>/", views.PracticeCohortDetailView.as_view(), name="practice_cohort"),
    path("practice/applications/<uuid:code>/", views.PracticeApplicationView.as_view(), name="practice_application"),
]

api_urlpatterns = [
    path("cohorts/", api.OpenCohortListView.as_view(), name="api_open_cohorts"),
    path("partners/<slug:partner_slug>/applications/", api.ApplicationListView.as_view(), name="api_applications"),
    path("partners/<slug:partner_slug>/applications/<uuid:code>/", api.ApplicationDetailView.as_view(), name="api_application"),
    path(
        "partners/<slug:partner_slug>/applications/<uuid:code>/submit/",
        api.ApplicationSubmitView.as_view(),
        name="api_application_submit",
    ),
    path("practice/cohorts/", api.PracticeCohortListView.as_view(), name="api_practice_cohorts"),
    path("practice/applications/", api.PracticeApplicationListView.as_view(), name="api_practice_applications"),
    path(
        "practice/applications/<uuid:code>/decision/", api.PracticeApplicationDecisionView.as_view(), name="api_practice_decision"
    ),
]
