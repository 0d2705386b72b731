"""/readyz: what a load balancer asks before it sends a process work — the
database, its migrations, Redis when one is configured, the file storage —
and /healthz, the liveness probe (the database alone)."""

import pytest

from accounts import health

pytestmark = pytest.mark.django_db


def test_ready_in_the_embedded_default(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": "ok",
            "migrations": "ok",
            "redis": "not configured",
            "storage": "ok",
        },
    }
    assert response["Cache-Control"].startswith("max-age=0")


class FakeRedis:
    pinged: list[str] = []

    def __init__(self, url):
        self.url = url

    @classmethod
    def from_url(cls, url, **kwargs):
        assert kwargs["socket_timeout"] <= 1
        return cls(url)

    def ping(self):
        FakeRedis.pinged.append(self.url)
        return True

    def close(self):
        pass


def test_every_configured_redis_is_pinged(client, settings, monkeypatch):
    import redis

    monkeypatch.setattr(redis, "Redis", FakeRedis)
    FakeRedis.pinged = []
    settings.REDIS_URL = "redis://cache.internal:6379/1"
    settings.CELERY_BROKER_URL = "redis://broker.internal:6379/0"
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["redis"] == "ok"
    assert FakeRedis.pinged == [settings.REDIS_URL, settings.CELERY_BROKER_URL]


def test_a_redis_that_does_not_answer_is_unavailable_without_its_address(client, settings):
    # Nothing listens on port 1 of the loopback: refused at once.
    settings.CELERY_BROKER_URL = "redis://:secret@127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert (
        "127.0.0.1" not in response.content.decode() and "secret" not in response.content.decode()
    )


def test_a_pending_migration_is_not_ready(client, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("x", False)])
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "pending"


def test_a_storage_folder_that_cannot_be_written_is_unavailable(client, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "location": blocker / "private"},
        },
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "unavailable"


def test_a_storage_folder_not_made_yet_is_ready_when_it_can_be(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {
                **settings.STORAGES["default"]["OPTIONS"],
                "location": tmp_path / "not" / "yet",
            },
        },
    }
    assert health.storage() == health.OK


def test_a_database_that_does_not_answer(client, monkeypatch):
    monkeypatch.setattr(health, "database", lambda: health.UNAVAILABLE)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unavailable"


def test_only_get(client):
    assert client.post("/readyz").status_code == 405
