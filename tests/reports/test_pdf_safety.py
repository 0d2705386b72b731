"""The PDF renderer fetches only Sanad's own static files.

Text a user typed (a note with ``file:///etc/passwd`` or an address on the
office network) is printed as text: nothing is fetched, embedded or
connected to. A loopback listener records any connection attempt."""

import io
import socket
import threading

import pytest
from pypdf import PdfReader

from casework import services as casework_services
from reports import pdf
from reports.documents.case_summary import case_summary_pdf


@pytest.fixture
def listener():
    """A TCP listener on a free loopback port, recording every connection."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.1)
    accepted: list = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                connection, address = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(address)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join(timeout=2)
    server.close()


# A one-pixel PNG.
PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8"
    "AAAAASUVORK5CYII="
)


def _embedded_files_and_images(content: bytes) -> tuple[bool, int]:
    reader = PdfReader(io.BytesIO(content))
    names = reader.trailer["/Root"].get("/Names")
    has_embedded = bool(names and "/EmbeddedFiles" in names.get_object())
    images = 0
    for page in reader.pages:
        resources = page.get("/Resources")
        objects = resources.get_object().get("/XObject") if resources else None
        for item in objects.get_object().values() if objects else []:
            if item.get_object().get("/Subtype") == "/Image":
                images += 1
        for annotation in page.get("/Annots") or []:
            assert annotation.get_object().get("/Subtype") != "/FileAttachment"
    return has_embedded, images


def _text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.django_db
def test_urls_in_notes_fetch_nothing_and_print_as_text(caseworker, case, listener):
    port, accepted = listener
    bodies = [
        "file:///etc/passwd",
        f"http://127.0.0.1:{port}/x.png",
        f'<img src="http://127.0.0.1:{port}/y.png">',
        f"background: url(http://127.0.0.1:{port}/z.png)",
        '<link rel="attachment" href="file:///etc/hostname">',
    ]
    for body in bodies:
        casework_services.add_note(actor=caseworker, case_id=case.pk, body=body)

    content, _filename = case_summary_pdf(actor=caseworker, case_id=case.pk, language="en")

    assert _embedded_files_and_images(content) == (False, 0)
    assert accepted == []
    text = _text(content)
    for body in bodies:
        assert body in text
    assert "root:" not in text  # nothing of /etc/passwd


def test_raw_html_fetches_only_static_files(listener, monkeypatch):
    port, accepted = listener
    fetched: list[tuple[str, str]] = []
    original = pdf.StaticFilesOnly.fetch

    def spy(self, url, headers=None):
        try:
            response = original(self, url, headers)
        except pdf.RefusedURL:
            fetched.append((url, "refused"))
            raise
        fetched.append((url, "served"))
        return response

    monkeypatch.setattr(pdf.StaticFilesOnly, "fetch", spy)
    html = f"""<!doctype html><html><head>
      <link rel="stylesheet" href="file:///etc/passwd">
      <link rel="stylesheet" href="http://127.0.0.1:{port}/style.css">
      <link rel="stylesheet" href="/static/css/sanad.css">
      <link rel="attachment" href="file:///etc/passwd">
      <style>body {{ background: url(http://127.0.0.1:{port}/bg.png) }}</style>
      </head><body>
      <p>Hello</p>
      <img src="http://127.0.0.1:{port}/a.png">
      <img src="https://127.0.0.1:{port}/b.png">
      <img src="file:///etc/passwd">
      <img src="{PIXEL}">
      <img src="/static/../../etc/passwd">
      <img src="/static/%2e%2e/%2e%2e/etc/passwd">
      <a rel="attachment" href="file:///etc/hostname">x</a>
      </body></html>"""

    content = pdf.html_to_pdf(html)

    assert content.startswith(b"%PDF-")
    assert accepted == []
    assert _embedded_files_and_images(content) == (False, 0)
    served = [url for url, outcome in fetched if outcome == "served"]
    assert served == [f"{pdf.BASE_URL}static/css/sanad.css"], fetched
    refused = [url for url, outcome in fetched if outcome == "refused"]
    assert any(url.startswith("file:") for url in refused)
    assert any(f"127.0.0.1:{port}" in url for url in refused)
    assert any(url.startswith("data:") for url in refused)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1/x",
        "data:text/plain,hello",
        f"{pdf.BASE_URL}static/../../etc/passwd",
        f"{pdf.BASE_URL}static/%2e%2e/%2e%2e/etc/passwd",
        f"{pdf.BASE_URL}static/css/does-not-exist.css",
        f"{pdf.BASE_URL}media/private/anything.pdf",
        # An absolute path would replace STATIC_ROOT when joined to it.
        f"{pdf.BASE_URL}static//etc/passwd",
        f"{pdf.BASE_URL}static/%2Fetc%2Fpasswd",
        f"{pdf.BASE_URL}static/..%5C..%5Cetc%5Cpasswd",
    ],
)
def test_the_fetcher_refuses_everything_but_static_files(url, settings, tmp_path):
    settings.STATIC_ROOT = str(tmp_path)
    with pytest.raises(pdf.RefusedURL):
        pdf.StaticFilesOnly().fetch(url)


def test_the_fetcher_reads_static_root_and_nothing_it_links_out_of(settings, tmp_path):
    root = tmp_path / "static"
    (root / "img").mkdir(parents=True)
    (root / "img" / "logo.png").write_bytes(b"png")
    secret = tmp_path / "secret.txt"
    secret.write_text("not a static file")
    (root / "img" / "link.txt").symlink_to(secret)
    settings.STATIC_ROOT = str(root)
    fetcher = pdf.StaticFilesOnly()
    assert fetcher.fetch(f"{pdf.BASE_URL}static/img/logo.png").read() == b"png"
    with pytest.raises(pdf.RefusedURL):
        fetcher.fetch(f"{pdf.BASE_URL}static/img/link.txt")


def test_the_fetcher_serves_a_static_file():
    response = pdf.StaticFilesOnly().fetch(f"{pdf.BASE_URL}static/css/sanad.css")
    assert response is not None
