"""The cohorts app's API views and serializers, one module per part of the workflow."""
