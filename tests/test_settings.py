import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start_django(**env):
    environment = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}
    }
    environment.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = start_django(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "started" not in result.stdout


def test_starts_with_a_secret_key(tmp_path):
    result = start_django(DEBUG="0", SECRET_KEY="a" * 50, SANAD_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_debug_without_key_keeps_a_private_development_key(tmp_path):
    result = start_django(DEBUG="1", SANAD_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    key_file = tmp_path / "secret_key"
    assert len(key_file.read_text()) >= 50
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_database_url_switches_to_postgresql(tmp_path):
    environment = {
        "DEBUG": "1",
        "SANAD_VAR_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://someone@127.0.0.1:5432/somedb",
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "d = s.DATABASES['default']; print(d['ENGINE'], d['NAME'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **environment, "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "somedb"]


def test_sqlite_default_uses_wal_and_immediate_transactions(settings):
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    assert options["timeout"] >= 5


def sqlite_settings_under(tmp_path, **env) -> dict:
    """The default database's OPTIONS and TEST name, and the PRAGMAs a real
    connection ends up with, in a fresh process started with ``env``."""
    code = (
        "import json, django; django.setup(); "
        "from django.conf import settings as s; from django.db import connection; "
        "d = s.DATABASES['default']; cursor = connection.cursor(); "
        "pragmas = {name: cursor.execute(f'PRAGMA {name}').fetchone()[0] "
        "for name in ('journal_mode', 'busy_timeout', 'foreign_keys')}; "
        "print(json.dumps({'engine': d['ENGINE'], 'options': d.get('OPTIONS', {}), "
        "'test_name': d['TEST']['NAME'], 'pragmas': pragmas, "
        "'immediate': connection.transaction_mode}))"
    )
    environment = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}
    }
    environment.update(
        env, DEBUG="1", SANAD_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_every_sqlite_database_gets_the_same_tuning_however_it_is_named(tmp_path):
    """Issue 9, defect 2: DATABASE_URL=sqlite:///… skipped WAL, BEGIN IMMEDIATE
    and the busy timeout, and concurrent clients got "database is locked"."""
    embedded = sqlite_settings_under(tmp_path)
    by_url = sqlite_settings_under(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'url.sqlite3'}")

    assert embedded["engine"] == by_url["engine"] == "django.db.backends.sqlite3"
    assert by_url["options"] == embedded["options"]
    assert by_url["immediate"] == "IMMEDIATE"
    assert (
        by_url["pragmas"]
        == embedded["pragmas"]
        == {
            "journal_mode": "wal",
            "busy_timeout": 20000,
            "foreign_keys": 1,
        }
    )
    # The test database is a file of its own, so concurrency tests get real connections.
    for found in (embedded, by_url):
        test_name = Path(found["test_name"])
        assert test_name.is_absolute()
        assert test_name.suffix == ".sqlite3"
        assert ":memory:" not in found["test_name"]


# --- The production profile (issue 14) ------------------------------------------------


def production_environment(tmp_path, **env) -> dict:
    """What an operator sets, with throw-away secrets."""
    environment = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}
    }
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_COOKIES", "API_DOCS_PUBLIC"):
        environment.pop(name, None)
    environment.update(
        DJANGO_ENV="production",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ACCESS_LOG_KEYS=f"ci:{secrets.token_urlsafe(32)}",
        ALLOWED_HOSTS="sanad.example",
        SITE_URL="https://sanad.example",
        SANAD_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    environment.update(env)
    return environment


def test_the_production_profile_passes_the_deploy_check(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_the_profile_the_deploy_check_warns(tmp_path):
    """The same environment without DJANGO_ENV: HSTS and the redirect are off."""
    environment = production_environment(tmp_path)
    del environment["DJANGO_ENV"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W008" in result.stderr


def test_the_production_profile_sets_https_only_and_closes_the_docs(tmp_path):
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({name: getattr(s, name) for name in ["
        "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
        "'SECURE_HSTS_PRELOAD', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SECURE_REDIRECT_EXEMPT', 'API_DOCS_PUBLIC', 'DEBUG']} | "
        "{'renderers': s.REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES']}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=production_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_REDIRECT_EXEMPT": ["^healthz$", "^readyz$"],
        "API_DOCS_PUBLIC": False,
        "DEBUG": False,
        "renderers": ["rest_framework.renderers.JSONRenderer"],
    }


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "1"}, "DEBUG must be off when DJANGO_ENV=production"),
        ({"SECURE_COOKIES": "0"}, "SECURE_COOKIES cannot be off when DJANGO_ENV=production"),
        ({"DJANGO_ENV": "prod"}, "DJANGO_ENV must be 'production' or unset, got 'prod'"),
    ],
    ids=["debug", "insecure-cookies", "unknown-profile"],
)
def test_the_production_profile_refuses_what_it_cannot_be(tmp_path, env, message):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=production_environment(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert message in result.stderr
    assert "started" not in result.stdout
