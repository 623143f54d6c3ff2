from django.urls import path

from cohorts.api import applications as api
from cohorts.views import applications as views

app_name = "cohorts"

APPLICATION = "p/<slug:partner_slug>/applications/<uuid:code>/"
PRACTICE_APPLICATION = "practice/applications/<uuid:code>/"

urlpatterns = [
    path("cohorts/", views.PublicCohortListView.as_view(), name="public_list"),
    path("cohorts/<slug:cohort_slug>/", views.PublicCohortDetailView.as_view(), name="public_detail"),
    path("p/<slug:partner_slug>/apply/<slug:cohort_slug>/", views.ApplicationCreateView.as_view(), name="application_create"),
    path(APPLICATION, views.ApplicationDetailView.as_view(), name="application_detail"),
    path(APPLICATION + "sections/<slug:section>/", views.ApplicationSectionView.as_view(), name="application_section"),
    path(APPLICATION + "check/", views.ApplicationCheckView.as_view(), name="application_check"),
    path(APPLICATION + "withdraw/", views.ApplicationWithdrawView.as_view(), name="application_withdraw"),
    path(APPLICATION + "revisions/compare/", views.ApplicationRevisionCompareView.as_view(), name="application_compare"),
    path("practice/cohorts/new/", views.PracticeCohortCreateView.as_view(), name="practice_cohort_create"),
    path("practice/cohorts/<slug:cohort_slug>/", views.PracticeCohortDetailView.as_view(), name="practice_cohort"),
    path("practice/cohorts/<slug:cohort_slug>/edit/", views.PracticeCohortEditView.as_view(), name="practice_cohort_edit"),
    path(
        "practice/cohorts/<slug:cohort_slug>/transition/",
        views.PracticeCohortTransitionView.as_view(),
        name="practice_cohort_transition",
    ),
    path(PRACTICE_APPLICATION, views.PracticeApplicationView.as_view(), name="practice_application"),
    path(PRACTICE_APPLICATION + "screen/", views.PracticeApplicationScreenView.as_view(), name="practice_screen"),
    path(
        PRACTICE_APPLICATION + "request-information/",
        views.PracticeApplicationRequestInformationView.as_view(),
        name="practice_request_information",
    ),
    path(
        PRACTICE_APPLICATION + "extend-deadline/",
        views.PracticeApplicationExtendDeadlineView.as_view(),
        name="practice_extend_deadline",
    ),
    path(PRACTICE_APPLICATION + "revisions/compare/", views.PracticeRevisionCompareView.as_view(), name="practice_compare"),
]

# --- Review: rubric, reviewer assignment, conflicts of interest, reviews and scores (pages) ---
review_urlpatterns = []

# --- Panel and decisions (pages) ---
decision_urlpatterns = []

# --- Events for applicants and the call's documents (pages) ---
event_urlpatterns = []

urlpatterns += review_urlpatterns + decision_urlpatterns + event_urlpatterns

API_APPLICATION = "partners/<slug:partner_slug>/applications/<uuid:code>/"
API_PRACTICE_APPLICATION = "practice/applications/<uuid:code>/"

api_urlpatterns = [
    path("cohorts/", api.OpenCohortListView.as_view(), name="api_open_cohorts"),
    path("partners/<slug:partner_slug>/applications/", api.ApplicationListView.as_view(), name="api_applications"),
    path(API_APPLICATION, api.ApplicationDetailView.as_view(), name="api_application"),
    path(API_APPLICATION + "submit/", api.ApplicationSubmitView.as_view(), name="api_application_submit"),
    path(API_APPLICATION + "withdraw/", api.ApplicationWithdrawView.as_view(), name="api_application_withdraw"),
    path(API_APPLICATION + "revisions/", api.ApplicationRevisionListView.as_view(), name="api_application_revisions"),
    path(API_APPLICATION + "revisions/compare/", api.ApplicationRevisionCompareView.as_view(), name="api_application_compare"),
    path("practice/cohorts/", api.PracticeCohortListView.as_view(), name="api_practice_cohorts"),
    path("practice/cohorts/<slug:slug>/", api.PracticeCohortDetailView.as_view(), name="api_practice_cohort"),
    path(
        "practice/cohorts/<slug:slug>/transition/",
        api.PracticeCohortTransitionView.as_view(),
        name="api_practice_cohort_transition",
    ),
    path("practice/applications/", api.PracticeApplicationListView.as_view(), name="api_practice_applications"),
    path(API_PRACTICE_APPLICATION, api.PracticeApplicationDetailView.as_view(), name="api_practice_application"),
    path(API_PRACTICE_APPLICATION + "decision/", api.PracticeApplicationDecisionView.as_view(), name="api_practice_decision"),
    path(API_PRACTICE_APPLICATION + "screening/", api.PracticeApplicationScreenView.as_view(), name="api_practice_screening"),
    path(
        API_PRACTICE_APPLICATION + "request-information/",
        api.PracticeApplicationRequestInformationView.as_view(),
        name="api_practice_request_information",
    ),
    path(
        API_PRACTICE_APPLICATION + "extend-deadline/",
        api.PracticeApplicationExtendDeadlineView.as_view(),
        name="api_practice_extend_deadline",
    ),
    path(API_PRACTICE_APPLICATION + "revisions/", api.PracticeRevisionListView.as_view(), name="api_practice_revisions"),
]

# --- Review (API) ---
review_api_urlpatterns = []

# --- Panel and decisions (API) ---
decision_api_urlpatterns = []

# --- Events and documents (API) ---
event_api_urlpatterns = []

api_urlpatterns += review_api_urlpatterns + decision_api_urlpatterns + event_api_urlpatterns
