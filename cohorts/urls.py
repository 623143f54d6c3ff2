from django.urls import path

from cohorts.api import applications as api
from cohorts.api import decisions as decision_api
from cohorts.api import events as event_api
from cohorts.api import reviews as review_api
from cohorts.views import applications as views
from cohorts.views import decisions as decision_views
from cohorts.views import enquiries as enquiry_views
from cohorts.views import events as event_views
from cohorts.views import reviews as review_views
from pine import routing

app_name = "cohorts"

APPLICATION = "applications/<uuid:code>/"
COHORT = "cohorts/<slug:cohort_slug>/"  # the practice team's cohort pages
PUBLIC_EVENT = "cohorts/<slug:cohort_slug>/events/<uuid:code>/"
RUBRIC = COHORT + "rubric/"
ASSIGNMENTS = COHORT + "assignments/"
REVIEW = "reviews/<uuid:code>/"
EVENT = COHORT + "events/<uuid:code>/"
DOCUMENTS = COHORT + "documents/"

public_pages = [
    path("cohorts/", views.PublicCohortListView.as_view(), name="public_list"),
    path("cohorts/<slug:cohort_slug>/", views.PublicCohortDetailView.as_view(), name="public_detail"),
    path(PUBLIC_EVENT, event_views.PublicEventView.as_view(), name="public_event"),
    path(
        PUBLIC_EVENT + "registered/<uuid:registration_code>/",
        event_views.PublicEventRegisteredView.as_view(),
        name="public_event_registered",
    ),
    path("cohorts/events/cancel/<str:token>/", event_views.PublicEventCancelView.as_view(), name="public_event_cancel"),
    path("cohorts/<slug:cohort_slug>/documents/<uuid:code>/", event_views.PublicDocumentView.as_view(), name="public_document"),
    path("cohorts/<slug:cohort_slug>/discuss/", enquiry_views.PublicEnquiryView.as_view(), name="public_enquiry"),
]

partner_pages = [
    path("apply/<slug:cohort_slug>/", views.ApplicationCreateView.as_view(), name="application_create"),
    path("discuss/<slug:cohort_slug>/", enquiry_views.PartnerEnquiryView.as_view(), name="partner_enquiry"),
    path(APPLICATION, views.ApplicationDetailView.as_view(), name="application_detail"),
    path(APPLICATION + "sections/<slug:section>/", views.ApplicationSectionView.as_view(), name="application_section"),
    path(APPLICATION + "check/", views.ApplicationCheckView.as_view(), name="application_check"),
    path(APPLICATION + "withdraw/", views.ApplicationWithdrawView.as_view(), name="application_withdraw"),
    path(APPLICATION + "revisions/compare/", views.ApplicationRevisionCompareView.as_view(), name="application_compare"),
    path(APPLICATION + "revisions/<int:number>.pdf", views.ApplicationRevisionPdfView.as_view(), name="application_pdf"),
    path(APPLICATION + "letters/", views.ApplicationLettersView.as_view(), name="application_letters"),
    path(APPLICATION + "letters/<uuid:letter>/", views.ApplicationLetterView.as_view(), name="application_letter"),
]

practice_pages = [
    # Cohorts and screening
    path("cohorts/new/", views.PracticeCohortCreateView.as_view(), name="practice_cohort_create"),
    path(COHORT, views.PracticeCohortDetailView.as_view(), name="practice_cohort"),
    path(COHORT + "edit/", views.PracticeCohortEditView.as_view(), name="practice_cohort_edit"),
    path(COHORT + "transition/", views.PracticeCohortTransitionView.as_view(), name="practice_cohort_transition"),
    path(APPLICATION, views.PracticeApplicationView.as_view(), name="practice_application"),
    path(APPLICATION + "screen/", views.PracticeApplicationScreenView.as_view(), name="practice_screen"),
    path(
        APPLICATION + "request-information/",
        views.PracticeApplicationRequestInformationView.as_view(),
        name="practice_request_information",
    ),
    path(
        APPLICATION + "extend-deadline/", views.PracticeApplicationExtendDeadlineView.as_view(), name="practice_extend_deadline"
    ),
    path(APPLICATION + "revisions/compare/", views.PracticeRevisionCompareView.as_view(), name="practice_compare"),
    path(APPLICATION + "letters/<uuid:letter>/", views.PracticeLetterView.as_view(), name="practice_letter"),
    # Review: rubric, reviewer assignment, conflicts of interest, reviews and scores
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
    path("assignments/<uuid:code>/remove/", review_views.AssignmentRemoveView.as_view(), name="practice_assignment_remove"),
    path("enquiries/<uuid:code>/", enquiry_views.PracticeEnquiryView.as_view(), name="practice_enquiry"),
    path("reviews/", review_views.ReviewListView.as_view(), name="review_list"),
    path(REVIEW, review_views.ReviewView.as_view(), name="review_detail"),
    path(REVIEW + "conflict/", review_views.ConflictView.as_view(), name="review_conflict"),
    path(REVIEW + "letters/<uuid:letter>/", review_views.ReviewLetterView.as_view(), name="review_letter"),
    # Panel and decisions
    path(COHORT + "panel/", decision_views.PanelView.as_view(), name="practice_panel"),
    path(COHORT + "panel.csv", decision_views.PanelExportView.as_view(format="csv"), name="practice_panel_csv"),
    path(COHORT + "panel.xlsx", decision_views.PanelExportView.as_view(format="xlsx"), name="practice_panel_xlsx"),
    path(COHORT + "decisions/", decision_views.DecisionListView.as_view(), name="practice_decisions"),
    path(COHORT + "decisions/preview/", decision_views.DecisionPreviewView.as_view(), name="practice_decisions_preview"),
    path(COHORT + "decisions/release/", decision_views.DecisionReleaseView.as_view(), name="practice_decisions_release"),
    path(COHORT + "decisions/<uuid:code>/", decision_views.DecisionRecordView.as_view(), name="practice_decision"),
    path(COHORT + "decisions/<uuid:code>/clear/", decision_views.DecisionClearView.as_view(), name="practice_decision_clear"),
    # Events for applicants and the call's documents
    path(COHORT + "events/new/", event_views.PracticeEventCreateView.as_view(), name="practice_event_create"),
    path(EVENT, event_views.PracticeEventView.as_view(), name="practice_event"),
    path(EVENT + "edit/", event_views.PracticeEventEditView.as_view(), name="practice_event_edit"),
    path(EVENT + "delete/", event_views.PracticeEventDeleteView.as_view(), name="practice_event_delete"),
    path(EVENT + "registrations.csv", event_views.PracticeEventExportView.as_view(file_format="csv"), name="practice_event_csv"),
    path(
        EVENT + "registrations.xlsx", event_views.PracticeEventExportView.as_view(file_format="xlsx"), name="practice_event_xlsx"
    ),
    path(DOCUMENTS + "new/", event_views.PracticeDocumentUploadView.as_view(), name="practice_document_upload"),
    path(DOCUMENTS + "<uuid:code>/", event_views.PracticeDocumentView.as_view(), name="practice_document"),
    path(DOCUMENTS + "<uuid:code>/delete/", event_views.PracticeDocumentDeleteView.as_view(), name="practice_document_delete"),
]

urlpatterns = routing.pages(public=public_pages, partner=partner_pages, practice=practice_pages)

API_COHORT = "cohorts/<slug:slug>/"
API_RUBRIC = API_COHORT + "rubric/"

api_urlpatterns = routing.api(
    user=[
        path("cohorts/", api.OpenCohortListView.as_view(), name="api_open_cohorts"),
        path(API_COHORT + "events/", event_api.CohortEventListView.as_view(), name="api_cohort_events"),
    ],
    partner=[
        path("applications/", api.ApplicationListView.as_view(), name="api_applications"),
        path(APPLICATION, api.ApplicationDetailView.as_view(), name="api_application"),
        path(APPLICATION + "submit/", api.ApplicationSubmitView.as_view(), name="api_application_submit"),
        path(APPLICATION + "withdraw/", api.ApplicationWithdrawView.as_view(), name="api_application_withdraw"),
        path(APPLICATION + "revisions/", api.ApplicationRevisionListView.as_view(), name="api_application_revisions"),
        path(APPLICATION + "revisions/compare/", api.ApplicationRevisionCompareView.as_view(), name="api_application_compare"),
    ],
    practice=[
        # Cohorts and screening
        path("cohorts/", api.PracticeCohortListView.as_view(), name="api_practice_cohorts"),
        path(API_COHORT, api.PracticeCohortDetailView.as_view(), name="api_practice_cohort"),
        path(API_COHORT + "transition/", api.PracticeCohortTransitionView.as_view(), name="api_practice_cohort_transition"),
        path("applications/", api.PracticeApplicationListView.as_view(), name="api_practice_applications"),
        path(APPLICATION, api.PracticeApplicationDetailView.as_view(), name="api_practice_application"),
        path(APPLICATION + "screening/", api.PracticeApplicationScreenView.as_view(), name="api_practice_screening"),
        path(
            APPLICATION + "request-information/",
            api.PracticeApplicationRequestInformationView.as_view(),
            name="api_practice_request_information",
        ),
        path(
            APPLICATION + "extend-deadline/",
            api.PracticeApplicationExtendDeadlineView.as_view(),
            name="api_practice_extend_deadline",
        ),
        path(APPLICATION + "revisions/", api.PracticeRevisionListView.as_view(), name="api_practice_revisions"),
        # Review
        path(API_RUBRIC, review_api.RubricView.as_view(), name="api_practice_rubric"),
        path(API_RUBRIC + "standard/", review_api.RubricStandardView.as_view(), name="api_practice_rubric_standard"),
        path(API_RUBRIC + "criteria/", review_api.CriterionCreateView.as_view(), name="api_practice_criteria"),
        path(API_RUBRIC + "criteria/<int:position>/", review_api.CriterionDetailView.as_view(), name="api_practice_criterion"),
        path(API_RUBRIC + "scale/", review_api.ScaleLevelCreateView.as_view(), name="api_practice_scale"),
        path(API_RUBRIC + "scale/<int:score>/", review_api.ScaleLevelDetailView.as_view(), name="api_practice_scale_level"),
        path(API_COHORT + "assignments/", review_api.AssignmentListView.as_view(), name="api_practice_assignments"),
        path(API_COHORT + "assignments/auto/", review_api.AssignmentAutoView.as_view(), name="api_practice_assignments_auto"),
        path("reviews/", review_api.ReviewListView.as_view(), name="api_reviews"),
        path(REVIEW, review_api.ReviewDetailView.as_view(), name="api_review"),
        path(REVIEW + "conflict/", review_api.ConflictView.as_view(), name="api_review_conflict"),
        path(REVIEW + "review/", review_api.ReviewSaveView.as_view(), name="api_review_save"),
        path(REVIEW + "submit/", review_api.ReviewSubmitView.as_view(), name="api_review_submit"),
        # Panel and decisions
        path(API_COHORT + "panel/", decision_api.PanelView.as_view(), name="api_practice_panel"),
        path(
            API_COHORT + "decisions/preview/", decision_api.DecisionPreviewView.as_view(), name="api_practice_decisions_preview"
        ),
        path(
            API_COHORT + "decisions/release/", decision_api.DecisionReleaseView.as_view(), name="api_practice_decisions_release"
        ),
        path(APPLICATION + "decision/", decision_api.ApplicationDecisionView.as_view(), name="api_practice_decision"),
        # Events
        path(API_COHORT + "events/", event_api.PracticeEventListView.as_view(), name="api_practice_events"),
        path(
            API_COHORT + "events/<uuid:code>/registrations/",
            event_api.PracticeEventRegistrationListView.as_view(),
            name="api_practice_event_registrations",
        ),
    ],
)
