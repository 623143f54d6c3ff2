"""The cohorts app's models: cohorts and applications (``applications``), review (``reviews``),
and events and documents for applicants (``events``)."""

from cohorts.models.applications import (
    ANSWER_FIELDS,
    APPLICANT_STATUS,
    APPLICATION_TRANSITIONS,
    COHORT_ANSWERING_STAGES,
    COHORT_EDITABLE_STAGES,
    COHORT_TRANSITIONS,
    SECTIONS,
    SECTIONS_BY_SLUG,
    ApplicantStatus,
    Application,
    ApplicationRevision,
    Cohort,
    Decision,
    Section,
)
from cohorts.models.attachments import SupportLetter
from cohorts.models.events import CohortDocument, Event, EventRegistration
from cohorts.models.messages import ApplicationMessage, CallEnquiry
from cohorts.models.reviews import Criterion, Review, ReviewAssignment, ScaleLevel, Score

__all__ = [
    "ANSWER_FIELDS",
    "APPLICANT_STATUS",
    "APPLICATION_TRANSITIONS",
    "COHORT_ANSWERING_STAGES",
    "COHORT_EDITABLE_STAGES",
    "COHORT_TRANSITIONS",
    "SECTIONS",
    "SECTIONS_BY_SLUG",
    "Section",
    "ApplicantStatus",
    "Application",
    "ApplicationMessage",
    "ApplicationRevision",
    "CallEnquiry",
    "Cohort",
    "CohortDocument",
    "Criterion",
    "Decision",
    "Event",
    "EventRegistration",
    "Review",
    "ReviewAssignment",
    "ScaleLevel",
    "Score",
    "SupportLetter",
]
