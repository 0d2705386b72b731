"""Writes of the reports app: report jobs (``reports.services.jobs``)."""

from reports.services.jobs import (
    ReportExpired,
    delete_expired_report_files,
    download_report,
    request_report,
    run_report_job,
)

__all__ = [
    "ReportExpired",
    "delete_expired_report_files",
    "download_report",
    "request_report",
    "run_report_job",
]
