"""The cohorts app's reads: one module for each part (applications, review, decisions, events...), imported by
name, e.g. ``from cohorts.selectors import applications``."""
