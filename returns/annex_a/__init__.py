"""Ofsted Annex A, the inspection lists (xlsx): read into pseudonymised child-level tables, one a
list, with tolerant matching of sheets, headings and labels, and turned into the measures its lists
can feed. Pure: no Django."""

from .detect import detect
from .measures import MEASURES, measures
from .reader import KIND, read

__all__ = ["KIND", "MEASURES", "detect", "read", "measures"]
