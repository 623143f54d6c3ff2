"""A PDF copy of what a partner submitted: one revision of its application, rendered from HTML
with WeasyPrint (as the evaluation reports are), tagged for screen readers."""

import weasyprint
from django.template.loader import render_to_string
from django.utils import timezone

from cohorts.models import ApplicationRevision
from cohorts.selectors.applications import revision_summary


def revision_pdf(revision: ApplicationRevision, *, agencies: list[tuple[str, str, bool]]) -> bytes:
    """The revision as a PDF: the cohort, the partnership and its agencies (name, type, lead), and
    every answer as it was submitted."""
    html = render_to_string(
        "cohorts/application_pdf.html",
        {
            "revision": revision,
            "application": revision.application,
            "agencies": agencies,
            "summary": revision_summary(revision),
            "printed_at": timezone.now(),
        },
    )
    return weasyprint.HTML(string=html, base_url=None).write_pdf(pdf_tags=True)
