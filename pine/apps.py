from django.apps import AppConfig


class PineConfig(AppConfig):
    name = "pine"

    def ready(self) -> None:
        from pine import checks  # noqa: F401 - registers the system checks
