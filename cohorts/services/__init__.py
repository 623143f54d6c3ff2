"""The cohorts app's writes: one module for each part (applications, review, decisions, events...), imported by
name, e.g. ``from cohorts.services import applications``."""
