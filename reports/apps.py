import logging

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        # WeasyPrint logs every layout step at INFO: one line per page of every PDF pack.
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
