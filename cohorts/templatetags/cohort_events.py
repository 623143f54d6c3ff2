"""Filters for showing a cohort's events and documents: places left, and the kind of a file."""

from django import template

from cohorts.selectors import events as selectors
from cohorts.services.events import DOCUMENT_KINDS

register = template.Library()


@register.filter
def places_left(event):
    return selectors.places_left(event)


@register.filter
def document_kind(document) -> str:
    """ "PDF", "DOCX"...: the kind of file, from its name (checked against its bytes on upload)."""
    kind = DOCUMENT_KINDS.get(document.filename.rpartition(".")[2].lower())
    return kind.label if kind else "file"
