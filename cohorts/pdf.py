"""A PDF copy of what a partner submitted: one revision of its application, rendered from HTML
with WeasyPrint (as the evaluation reports are), tagged for screen readers."""

import weasyprint
from django.template.loader import render_to_string
from django.utils import timezone

from cohorts.models import ApplicationRevision
from cohorts.selectors.applications import letter_checklist, revision_summary


def revision_html(revision: ApplicationRevision) -> str:
    """The revision as the PDF's HTML: the cohort, the partnership and its agencies (name, type,
    lead), every answer as it was submitted, and each agency's letter of support attached by then
    (file name, type, size) or that there was none."""
    application = revision.application
    partner = application.partner
    agencies = [(a.name, a.get_agency_type_display(), a.is_lead) for a in partner.agencies.all()] or [
        (partner.name, partner.get_lead_agency_type_display(), True)
    ]
    return render_to_string(
        "cohorts/application_pdf.html",
        {
            "revision": revision,
            "application": application,
            "agencies": agencies,
            "letters": letter_checklist(partner=partner, application=application, attached_by=revision.submitted_at),
            "summary": revision_summary(revision),
            "printed_at": timezone.now(),
        },
    )


def revision_pdf(revision: ApplicationRevision) -> bytes:
    return weasyprint.HTML(string=revision_html(revision), base_url=None).write_pdf(pdf_tags=True)
