"""Sanad's settings with django-simple-history's rows switched off, for
measuring what history costs (``bench.throughput --no-history``). Only a
benchmark uses this module: production has no switch that stops the audit
history."""

from config.settings import *  # noqa: F403 (every setting, one changed)

SIMPLE_HISTORY_ENABLED = False
