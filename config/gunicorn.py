"""gunicorn's settings for Sanad: ``gunicorn -c config/gunicorn.py``.

Each setting comes from the environment, with a default for one small
machine. gunicorn writes no access log: a request line carries its query
string (a search for a person's name) and the proxy in front logs requests
already; Django's own log lines go through the personal-data filter
(config.logging). See docs/deployment.md.
"""

import os

wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
# One worker a core: Sanad's requests are CPU-bound, and on a 2-core machine
# 2 workers served the most (4 workers, or threads, were slower: measured
# when issue 16 was filed; bench.throughput --workers/--threads measures it).
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A report or a PDF is built by the worker (Celery) in production; a request
# that takes longer than this is stuck.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (with jitter), so memory a
# library holds on to is given back.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = 2000
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Behind the reverse proxy on the same machine or network: it sets
# X-Forwarded-Proto itself (BEHIND_TLS_PROXY=1 makes Django trust it).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
