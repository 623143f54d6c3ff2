"""Dashboards: figures a Celery worker computes for each evaluation and stores (``models``), the pure
rules and charts they are made with (``rules``, ``funnel``, ``charts``), and the pages that read them."""
