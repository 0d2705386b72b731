"""Turning a template into a PDF: the only place Sanad imports WeasyPrint.

Every document extends ``reports/print_base.html`` (page numbers, the date
and the person who generated it, a confidentiality footer). WeasyPrint
fetches only the project's own static files: any other URL — ``file://``,
``http(s)://``, ``data:``, a path outside the static folders — fetches
nothing, so text a user typed (a note holding ``file:///etc/passwd`` or an
address on the office network) can never pull a file or open a connection.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from config.http.calendars import display_of
from config.http.times import local_time_text

# Documents resolve their relative URLs against this base; only what lies
# under its static prefix is ever read (from the static folders, not the web).
BASE_URL = "https://sanad.invalid/"
_STATIC_PREFIX = BASE_URL.rstrip("/") + settings.STATIC_URL


class RefusedURL(ValueError):
    """A document asked for something that is not one of Sanad's static files."""


class StaticFilesOnly(URLFetcher):
    """Answers the project's static files from disk and refuses everything else."""

    def fetch(self, url, headers=None):
        if not url.startswith(_STATIC_PREFIX):
            raise RefusedURL(_("Documents load only Sanad's own static files."))
        relative = unquote(urlsplit(url).path)[len(settings.STATIC_URL) :]
        # "/etc/passwd" (from "/static//etc/passwd" or "%2F") would replace the
        # folder it is joined to; a backslash is a separator on Windows.
        if (
            not relative
            or relative.startswith("/")
            or "\\" in relative
            or "\x00" in relative
            or ".." in Path(relative).parts
        ):
            raise RefusedURL(_("Documents load only Sanad's own static files."))
        found = finders.find(relative)
        if not found and settings.STATIC_ROOT:
            root = Path(settings.STATIC_ROOT).resolve()
            candidate = (root / relative).resolve()
            # resolve() follows symbolic links: the file itself must lie under the root.
            if candidate.is_relative_to(root) and candidate.is_file():
                found = str(candidate)
        if not found:
            raise RefusedURL(_("Documents load only Sanad's own static files."))
        content_type = mimetypes.guess_type(found)[0] or "application/octet-stream"
        body = Path(found).read_bytes()
        return URLFetcherResponse(url, body, {"Content-Type": content_type})


def render_html(template_name: str, context: dict, *, user, language: str) -> str:
    """The document's HTML in ``language`` (right to left where it is written so),
    its dates in ``user``'s calendar and digits, with what the print base
    needs: who generated it and when."""
    with translation.override(language), display_of(user):
        return render_to_string(
            template_name,
            {
                **context,
                "generated_at": timezone.localtime(),
                # Plain text with its zone, for the page footer (CSS content).
                "generated_when": local_time_text(timezone.now()),
                "generated_by": getattr(user, "display_name", "") or str(user),
            },
        )


def html_to_pdf(html: str) -> bytes:
    """The PDF of ``html`` (already rendered); fetches static files only."""
    return HTML(string=html, base_url=BASE_URL, url_fetcher=StaticFilesOnly()).write_pdf()


def render_pdf(template_name: str, context: dict, *, user, language: str) -> bytes:
    """Render ``template_name`` (extending ``reports/print_base.html``) in
    ``language`` and return the PDF's bytes."""
    return html_to_pdf(render_html(template_name, context, user=user, language=language))
