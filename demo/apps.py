from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data and the demo two-factor secret: installed in development and tests only
    (``PINE_DEMO``, on by default with ``DEBUG``)."""

    name = "demo"
