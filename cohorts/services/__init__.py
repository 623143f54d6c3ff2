"""The cohorts app's writes. Cohorts and applications live in ``applications`` (re-exported here);
review, decisions and events each have a module of their own, imported by name
(``from cohorts.services import reviews``; decisions: ``cohorts.services.decisions``)."""

from cohorts.services.applications import (
    APPLICANT_FIELDS,
    COHORT_DETAILS,
    SCREENING,
    application_create,
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
    "SCREENING",
    "application_create",
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
