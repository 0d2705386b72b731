"""Answering with a file: a PDF, a CSV or a spreadsheet, never cached, always
as an attachment, named without personal data."""

from django.http import HttpResponse
from rest_framework.renderers import BaseRenderer

PDF = "application/pdf"
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_response(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    """``content`` as a download: attachment, ``no-store``, no sniffing."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class PdfRenderer(BaseRenderer):
    """Lets an API view answer ``Accept: application/pdf`` (the view returns the
    file itself; errors still go out as problem details)."""

    media_type = PDF
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else b""
