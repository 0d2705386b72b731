"""Celery application. Without CELERY_BROKER_URL tasks run inline (eager mode)."""

import logging.config
import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("sanad")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def keep_django_logging(**kwargs) -> None:
    """A worker logs through settings.LOGGING, whose handlers withhold personal
    data (config/logging.py), instead of Celery's own handlers on the root logger."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
