from django.urls import path

from cohorts.api import applications as api
from cohorts.api import decisions as decision_api
from cohorts.api import events as event_api
from cohorts.api import reviews as review_api
from cohorts.views import applications as views
from cohorts.views import decisions as decision_views
from cohorts.views import events as event_views
from cohorts.views import reviews as review_views

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
RUBRIC = "practice/cohorts/<slug:cohort_slug>/rubric/"
ASSIGNMENTS = "practice/cohorts/<slug:cohort_slug>/assignments/"
REVIEW = "practice/reviews/<uuid:code>/"
review_urlpatterns = [
    path(RUBRIC, review_views.RubricView.as_view(), name="practice_rubric"),
    path(RUBRIC + "standard/", review_views.RubricStandardView.as_view(), name="practice_rubric_standard"),
    path(RUBRIC + "criteria/new/", review_views.CriterionCreateView.as_view(), name="practice_criterion_create"),
    path(RUBRIC + "criteria/<int:position>/", review_views.CriterionEditView.as_view(), name="practice_criterion"),
    path(
        RUBRIC + "criteria/<int:position>/remove/", review_views.CriterionDeleteView.as_view(), name="practice_criterion_delete"
    ),
    path(RUBRIC + "criteria/<int:position>/move/", review_views.CriterionMoveView.as_view(), name="practice_criterion_move"),
    path(RUBRIC + "scale/new/", review_views.ScaleLevelCreateView.as_view(), name="practice_scale_create"),
    path(RUBRIC + "scale/<int:score>/", review_views.ScaleLevelEditView.as_view(), name="practice_scale_level"),
    path(RUBRIC + "scale/<int:score>/remove/", review_views.ScaleLevelDeleteView.as_view(), name="practice_scale_delete"),
    path(ASSIGNMENTS, review_views.AssignmentListView.as_view(), name="practice_assignments"),
    path(ASSIGNMENTS + "auto/", review_views.AssignmentAutoView.as_view(), name="practice_assignments_auto"),
    path(ASSIGNMENTS + "<uuid:code>/", review_views.AssignmentCreateView.as_view(), name="practice_assign"),
    path(
        "practice/assignments/<uuid:code>/remove/", review_views.AssignmentRemoveView.as_view(), name="practice_assignment_remove"
    ),
    path("practice/reviews/", review_views.ReviewListView.as_view(), name="review_list"),
    path(REVIEW, review_views.ReviewView.as_view(), name="review_detail"),
    path(REVIEW + "conflict/", review_views.ConflictView.as_view(), name="review_conflict"),
]

# --- Panel and decisions (pages) ---
PRACTICE_COHORT = "practice/cohorts/<slug:cohort_slug>/"
decision_urlpatterns = [
    path(PRACTICE_COHORT + "panel/", decision_views.PanelView.as_view(), name="practice_panel"),
    path(PRACTICE_COHORT + "panel.csv", decision_views.PanelExportView.as_view(format="csv"), name="practice_panel_csv"),
    path(PRACTICE_COHORT + "panel.xlsx", decision_views.PanelExportView.as_view(format="xlsx"), name="practice_panel_xlsx"),
    path(PRACTICE_COHORT + "decisions/", decision_views.DecisionListView.as_view(), name="practice_decisions"),
    path(PRACTICE_COHORT + "decisions/preview/", decision_views.DecisionPreviewView.as_view(), name="practice_decisions_preview"),
    path(PRACTICE_COHORT + "decisions/release/", decision_views.DecisionReleaseView.as_view(), name="practice_decisions_release"),
    path(PRACTICE_COHORT + "decisions/<uuid:code>/", decision_views.DecisionRecordView.as_view(), name="practice_decision"),
    path(
        PRACTICE_COHORT + "decisions/<uuid:code>/clear/",
        decision_views.DecisionClearView.as_view(),
        name="practice_decision_clear",
    ),
]

# --- Events for applicants and the call's documents (pages) ---
PUBLIC_EVENT = "cohorts/<slug:cohort_slug>/events/<uuid:code>/"
PRACTICE_EVENTS = "practice/cohorts/<slug:cohort_slug>/events/"
PRACTICE_DOCUMENTS = "practice/cohorts/<slug:cohort_slug>/documents/"
event_urlpatterns = [
    path(PUBLIC_EVENT, event_views.PublicEventView.as_view(), name="public_event"),
    path(
        PUBLIC_EVENT + "registered/<uuid:registration_code>/",
        event_views.PublicEventRegisteredView.as_view(),
        name="public_event_registered",
    ),
    path("cohorts/events/cancel/<str:token>/", event_views.PublicEventCancelView.as_view(), name="public_event_cancel"),
    path("cohorts/<slug:cohort_slug>/documents/<uuid:code>/", event_views.PublicDocumentView.as_view(), name="public_document"),
    path(PRACTICE_EVENTS + "new/", event_views.PracticeEventCreateView.as_view(), name="practice_event_create"),
    path(PRACTICE_EVENTS + "<uuid:code>/", event_views.PracticeEventView.as_view(), name="practice_event"),
    path(PRACTICE_EVENTS + "<uuid:code>/edit/", event_views.PracticeEventEditView.as_view(), name="practice_event_edit"),
    path(PRACTICE_EVENTS + "<uuid:code>/delete/", event_views.PracticeEventDeleteView.as_view(), name="practice_event_delete"),
    path(
        PRACTICE_EVENTS + "<uuid:code>/registrations.csv",
        event_views.PracticeEventExportView.as_view(file_format="csv"),
        name="practice_event_csv",
    ),
    path(
        PRACTICE_EVENTS + "<uuid:code>/registrations.xlsx",
        event_views.PracticeEventExportView.as_view(file_format="xlsx"),
        name="practice_event_xlsx",
    ),
    path(PRACTICE_DOCUMENTS + "new/", event_views.PracticeDocumentUploadView.as_view(), name="practice_document_upload"),
    path(PRACTICE_DOCUMENTS + "<uuid:code>/", event_views.PracticeDocumentView.as_view(), name="practice_document"),
    path(
        PRACTICE_DOCUMENTS + "<uuid:code>/delete/",
        event_views.PracticeDocumentDeleteView.as_view(),
        name="practice_document_delete",
    ),
]

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
API_RUBRIC = "practice/cohorts/<slug:slug>/rubric/"
API_REVIEW = "practice/reviews/<uuid:code>/"
review_api_urlpatterns = [
    path(API_RUBRIC, review_api.RubricView.as_view(), name="api_practice_rubric"),
    path(API_RUBRIC + "standard/", review_api.RubricStandardView.as_view(), name="api_practice_rubric_standard"),
    path(API_RUBRIC + "criteria/", review_api.CriterionCreateView.as_view(), name="api_practice_criteria"),
    path(API_RUBRIC + "criteria/<int:position>/", review_api.CriterionDetailView.as_view(), name="api_practice_criterion"),
    path(API_RUBRIC + "scale/", review_api.ScaleLevelCreateView.as_view(), name="api_practice_scale"),
    path(API_RUBRIC + "scale/<int:score>/", review_api.ScaleLevelDetailView.as_view(), name="api_practice_scale_level"),
    path("practice/cohorts/<slug:slug>/assignments/", review_api.AssignmentListView.as_view(), name="api_practice_assignments"),
    path(
        "practice/cohorts/<slug:slug>/assignments/auto/",
        review_api.AssignmentAutoView.as_view(),
        name="api_practice_assignments_auto",
    ),
    path("practice/reviews/", review_api.ReviewListView.as_view(), name="api_reviews"),
    path(API_REVIEW, review_api.ReviewDetailView.as_view(), name="api_review"),
    path(API_REVIEW + "conflict/", review_api.ConflictView.as_view(), name="api_review_conflict"),
    path(API_REVIEW + "review/", review_api.ReviewSaveView.as_view(), name="api_review_save"),
    path(API_REVIEW + "submit/", review_api.ReviewSubmitView.as_view(), name="api_review_submit"),
]

# --- Panel and decisions (API) ---
decision_api_urlpatterns = [
    path("practice/cohorts/<slug:slug>/panel/", decision_api.PanelView.as_view(), name="api_practice_panel"),
    path(
        "practice/cohorts/<slug:slug>/decisions/preview/",
        decision_api.DecisionPreviewView.as_view(),
        name="api_practice_decisions_preview",
    ),
    path(
        "practice/cohorts/<slug:slug>/decisions/release/",
        decision_api.DecisionReleaseView.as_view(),
        name="api_practice_decisions_release",
    ),
    path(API_PRACTICE_APPLICATION + "decision/", decision_api.ApplicationDecisionView.as_view(), name="api_practice_decision"),
]

# --- Events and documents (API) ---
event_api_urlpatterns = [
    path("cohorts/<slug:slug>/events/", event_api.CohortEventListView.as_view(), name="api_cohort_events"),
    path("practice/cohorts/<slug:slug>/events/", event_api.PracticeEventListView.as_view(), name="api_practice_events"),
    path(
        "practice/cohorts/<slug:slug>/events/<uuid:code>/registrations/",
        event_api.PracticeEventRegistrationListView.as_view(),
        name="api_practice_event_registrations",
    ),
]

api_urlpatterns += review_api_urlpatterns + decision_api_urlpatterns + event_api_urlpatterns
