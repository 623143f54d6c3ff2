"""The cohorts app's pages, one module per part of the workflow."""
