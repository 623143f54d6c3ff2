"""SSDA903, the children-looked-after return: the CSV tables (as files or a zip) or the XML form,
read into pseudonymised child-level tables, checked, and turned into the standard measures.
Pure: no Django."""

from .detect import detect
from .measures import MEASURES, measures
from .reader import KIND, read

__all__ = ["KIND", "MEASURES", "detect", "read", "measures"]
