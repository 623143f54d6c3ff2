"""The cohorts app's writes. Cohorts and applications live in ``applications`` (re-exported here);
review, decisions and events each have a module of their own, imported by name
(``from cohorts.services import reviews``)."""

from cohorts.services.applications import (
    APPLICANT_FIELDS,
    COHORT_DETAILS,
    DECISIONS,
    SCREENING,
    application_create,
    application_decide,
    application_extend_deadline,
    application_request_information,
    application_screen,
    application_submit,
    application_update,
    application_withdraw,
    cohort_create,
    cohort_transition,
    cohort_update,
    submission_problems,
)

__all__ = [
    "APPLICANT_FIELDS",
    "COHORT_DETAILS",
    "DECISIONS",
    "SCREENING",
    "application_create",
    "application_decide",
    "application_extend_deadline",
    "application_request_information",
    "application_screen",
    "application_submit",
    "application_update",
    "application_withdraw",
    "cohort_create",
    "cohort_transition",
    "cohort_update",
    "submission_problems",
]
