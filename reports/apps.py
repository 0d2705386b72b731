from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    label = "reports"
    verbose_name = _("Reports")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Each module registers the report kinds (report jobs) it builds.
        from reports.documents import (  # noqa: F401
            case_file,
            case_list,
            disclosure_register,
            statistics,
        )
