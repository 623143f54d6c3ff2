from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self):
        from pine.changes import evaluation_changed
        from reports.dashboards.services import on_evaluation_changed

        evaluation_changed.connect(on_evaluation_changed, dispatch_uid="reports.dashboards.refresh")
