"""Answering with a file: a PDF, a CSV or a spreadsheet, never cached, always
as an attachment, named without personal data."""

from django.http import FileResponse, HttpResponse
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

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


def stream_response(handle, *, filename: str, content_type: str) -> FileResponse:
    """An open file (a report job's) streamed as a download: attachment,
    ``private, no-store``, no sniffing; the handle closes with the response."""
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
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


class CsvRenderer(PdfRenderer):
    """Lets an API view answer ``Accept: text/csv``, as ``PdfRenderer`` does a PDF."""

    media_type = "text/csv"
    format = "csv"


class FileDownloadAPIView(APIView):
    """An API view answering with a file (``file_response``/``stream_response``)
    for ``Accept: application/pdf`` or any type; its errors go out as problem
    details (JSON) whatever was asked for. Views offering other file types add
    their renderers, the PDF one first."""

    renderer_classes = [PdfRenderer, JSONRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # A problem document is JSON even when a file type was asked for.
        if isinstance(response, Response) and not isinstance(response.data, bytes):
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response
