"""The cohorts app's forms: one module for each part (applications, review, decisions, events...), imported by
name, e.g. ``from cohorts.forms import applications``."""
