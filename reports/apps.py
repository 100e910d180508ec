from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self) -> None:
        # An exception raised in projects queues its exception report here (projects never
        # imports reports). Imported in ready(): both modules import models.
        from projects.budget.signals import tolerance_exception_raised
        from reports.services import exception_report_queue

        tolerance_exception_raised.connect(exception_report_queue, dispatch_uid="reports.exception_report_queue")
