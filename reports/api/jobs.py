"""Report jobs over the API: ask for a report, follow it, download its file.

``POST /api/v1/reports/jobs/`` answers **202 Accepted** with the job and a
``Location``: the file is made in the background (in the embedded default it
is already made when the answer comes, and the body says ``done``).
"""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from config.http.pagination import KeysetCursorPagination
from config.http.schema import IDEMPOTENCY_KEY
from config.http.serializers import InputSerializer
from reports import http
from reports.models import ReportJob
from reports.selectors.jobs import get_report_job_for, report_jobs_of
from reports.services import download_report, request_report

LOCATION_202 = OpenApiParameter(
    "Location",
    OpenApiTypes.URI,
    OpenApiParameter.HEADER,
    response=[202],
    description="The job's address: follow it to see its state and progress.",
)


# Why a job failed (reports.services.jobs): the kind is no longer offered, the
# requester may no longer make it, its parameters are no longer valid, the
# build failed, or it ran past its time.
ERROR_CODES = ("unknown_kind", "forbidden", "invalid_parameters", "build_failed", "timed_out")


class ReportJobInSerializer(InputSerializer):
    kind = serializers.ChoiceField(choices=ReportJob.Kind.choices)
    format = serializers.ChoiceField(
        choices=ReportJob.Format.choices, help_text="One of the formats the kind offers."
    )
    parameters = serializers.DictField(
        required=False,
        default=dict,
        help_text="The kind's parameters: `case_list` takes the filters of "
        "`GET /api/v1/cases/` (`q`, `status`, `type`, `risk`, `assigned_to_me`, …); "
        "`case_file` takes `case` (an id).",
    )
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        allow_blank=True,
        default="",
        help_text="The report's language (default: yours).",
    )


class ReportJobSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=ReportJob.Kind.choices)
    format = serializers.ChoiceField(choices=ReportJob.Format.choices)
    parameters = serializers.DictField(help_text="As checked when the job was asked for.")
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES, help_text="The report's language, as the job was asked for."
    )
    state = serializers.ChoiceField(
        choices=ReportJob.State.choices, help_text="`expired`: the file has been deleted."
    )
    progress = serializers.IntegerField(min_value=0, max_value=100, help_text="Percent.")
    error_code = serializers.ChoiceField(
        choices=ERROR_CODES, allow_blank=True, help_text="When failed: why; blank otherwise."
    )
    error = serializers.CharField(allow_blank=True, help_text="When failed: safe to show.")
    filename = serializers.CharField(allow_blank=True)
    content_type = serializers.CharField(allow_blank=True)
    size = serializers.IntegerField(help_text="Bytes, when done.")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(help_text="The file is deleted then.")
    download = serializers.SerializerMethodField(
        help_text="The file's address while it is ready; null otherwise."
    )

    def get_download(self, job: ReportJob) -> str | None:
        if job.state != ReportJob.State.DONE:
            return None
        request = self.context.get("request")
        address = reverse("api-report-job-download", kwargs={"job_id": job.pk})
        return request.build_absolute_uri(address) if request else address


def _job_response(request, job: ReportJob, status_code: int = 200) -> Response:
    response = Response(
        ReportJobSerializer(job, context={"request": request}).data, status=status_code
    )
    if status_code == 202:
        response["Location"] = reverse("api-report-job-detail", kwargs={"job_id": job.pk})
    return response


class ReportJobListView(GenericAPIView):
    """Your report jobs, newest first."""

    pagination_class = KeysetCursorPagination
    cursor_ordering = ("-created_at", "-id")

    @extend_schema(
        operation_id="reports_jobs_list",
        summary="List your report jobs",
        responses={200: ReportJobSerializer(many=True)},
        description="Only your own jobs. Cursor-paginated (`cursor`, `page_size` ≤ 100, "
        "default 50), newest first.",
    )
    def get(self, request):
        page = self.paginate_queryset(report_jobs_of(request.user))
        return self.get_paginated_response(
            ReportJobSerializer(page, many=True, context={"request": request}).data
        )

    @extend_schema(
        operation_id="reports_jobs_create",
        summary="Ask for a report",
        request=ReportJobInSerializer,
        parameters=[IDEMPOTENCY_KEY, LOCATION_202],
        responses={202: ReportJobSerializer},
        description="Checks the parameters and your permission now (400 naming the field, "
        "403, 404) and queues the job; its file is made in the background (Celery; inline "
        "without a broker, so the job may already be `done`). The permission is checked "
        "again when the job runs and when its file is downloaded. Files are deleted after "
        "`REPORT_FILE_DAYS` days (default 7).",
    )
    def post(self, request):
        data = ReportJobInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data

        def produce() -> Response:
            job = request_report(
                actor=request.user,
                kind=fields["kind"],
                format=fields["format"],
                parameters=fields["parameters"],
                language=fields["language"],
            )
            return Response({"id": str(job.pk)}, status=202)

        answer = idempotent(request, "reports.jobs.create", produce)
        # Read after the job's transaction committed (and, without a broker, the
        # job ran): the body shows the job as it is now, on a retry too.
        job = get_report_job_for(request.user, answer.data["id"])
        response = _job_response(request, job, status_code=202)
        if answer.get("Idempotent-Replayed"):
            response["Idempotent-Replayed"] = answer["Idempotent-Replayed"]
        return response


class ReportJobDetailView(APIView):
    @extend_schema(
        operation_id="reports_jobs_retrieve",
        summary="Get a report job",
        responses={200: ReportJobSerializer},
        description="State, progress, error code, dates and, when done, the download "
        "address. Someone else's job answers 404.",
    )
    def get(self, request, job_id):
        return _job_response(request, get_report_job_for(request.user, job_id))


class _FileRenderer(http.PdfRenderer):
    """Lets the download answer an ``Accept`` of its file's type."""


class _XlsxRenderer(_FileRenderer):
    media_type = http.XLSX
    format = "xlsx"


class ReportJobDownloadView(http.FileDownloadAPIView):
    renderer_classes = [JSONRenderer, http.PdfRenderer, http.CsvRenderer, _XlsxRenderer]

    @extend_schema(
        operation_id="reports_jobs_download",
        summary="Download a report job's file",
        description="The file as an attachment. Not made yet: 409 `report_not_ready`; "
        "failed: 409 `report_failed`; expired (file deleted): 410 `report_expired`; "
        "someone else's job: 404. Your permission is checked again (403/404). Recorded in "
        "the access log as an export (a document about one case: a download).",
        responses={
            (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description="The file.")
            for media_type in (http.PDF, "text/csv", http.XLSX)
        },
    )
    def get(self, request, job_id):
        job, handle = download_report(actor=request.user, job_id=job_id)
        return http.stream_response(handle, filename=job.filename, content_type=job.content_type)
