"""The second factor in a real browser (issue 14): enrolling an authenticator
app from the QR page, then a passkey through Chromium's virtual authenticator
(WebAuthn over the DevTools protocol: the same ceremony as a phone or a
security key), and signing in again with each. Under the page's
Content-Security-Policy, with django-otp-webauthn's own scripts.

`.ci/browser` runs it against the demo server (skipped otherwise). Passkeys
need a secure context: https, or plain http on ``localhost`` (never an IP
address), so these pages are opened at http://localhost:<port> (the server's
SITE_URL is http://127.0.0.1:<port>, whose passkey origin is localhost's).
The persona is the city office's supervisor, whom the phone-layout test does
not use: once enrolled they are always asked for their factor.
"""

import os
import re
from urllib.parse import urlsplit

import pytest

BASE_URL = os.environ.get("SANAD_BROWSER_URL", "").rstrip("/")
PASSWORD = os.environ.get("SANAD_BROWSER_PASSWORD", "")
EMAIL = "supervisor@city.example"

pytestmark = pytest.mark.skipif(
    not BASE_URL, reason="drives a browser against a running demo server: make browser"
)


def localhost_url() -> str:
    parts = urlsplit(BASE_URL)
    return f"{parts.scheme}://localhost:{parts.port}"


def new_page(browser, violations: list[str]):
    context = browser.new_context(base_url=localhost_url())
    context.set_default_timeout(20_000)
    page = context.new_page()
    # Script errors and policy violations; a missing file is reported by its address
    # (the browser's own /favicon.ico aside) rather than as a console line.
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text
            or (message.type == "error" and "Failed to load resource" not in message.text)
            else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            violations.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.on("pageerror", lambda error: violations.append(str(error)))
    return page


def log_in(page) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def current_code(secret: str) -> str:
    from base64 import b32decode

    from django_otp.oath import totp

    return f"{totp(b32decode(secret.replace(' ', ''))):06d}"


def test_app_then_passkey_then_sign_in_with_each(browser):
    violations: list[str] = []
    page = new_page(browser, violations)
    log_in(page)

    # Enrol an authenticator app from the QR page.
    page.goto("/accounts/second-factor/setup/")
    with page.expect_navigation():
        page.click("#app form button[type=submit]")
    assert page.locator("figure.qr-code svg").count() == 1
    secret = page.locator("#totp-secret code").inner_text()
    assert re.fullmatch(r"[A-Z2-7 ]+", secret), secret
    page.fill("input[name=code]", current_code(secret))
    with page.expect_navigation():
        page.click("#app form button[type=submit]")
    assert page.locator("#backup-codes li").count() == 10
    backup_code = page.locator("#backup-codes li code").first.inner_text()

    # Add a passkey with Chromium's virtual authenticator.
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    page.goto("/accounts/second-factor/setup/#passkeys")
    page.locator("#passkey-register-button").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#passkeys .factor-list li').length === 1",
        timeout=20_000,
    )

    # A new login asks for the factor: the passkey lets the person in.
    with page.expect_navigation():
        page.click("header form[action='/accounts/logout/'] button")
    log_in(page)
    assert "/accounts/second-factor/" in page.url
    assert page.locator("#site-nav").count() == 0
    with page.expect_navigation():
        page.locator("#passkey-verification-button").click()
    assert "/accounts/second-factor/" not in page.url
    assert page.locator("#site-nav").count() == 1

    # And so does a backup code, on a fresh login.
    with page.expect_navigation():
        page.click("header form[action='/accounts/logout/'] button")
    log_in(page)
    page.fill("input[name=code]", backup_code)
    with page.expect_navigation():
        page.click("#second-factor-code button[type=submit]")
    assert "/accounts/second-factor/" not in page.url

    assert not violations, violations
