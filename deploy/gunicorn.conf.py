"""gunicorn for the booking app: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Two workers per core with a few threads each: requests mostly wait on PostgreSQL. No access
log: its request lines would carry feed tokens (the app writes its own JSON line per request,
with the route name instead of the path).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"
timeout = 30  # a request that takes longer than this is stuck: restart the worker
graceful_timeout = 20
keepalive = 5
max_requests = 2000  # recycle workers now and then
max_requests_jitter = 200
accesslog = None
errorlog = "-"
preload_app = True
# Behind nginx on another host, gunicorn speaks TLS with a certificate of the city's internal
# CA (nginx.conf: proxy_ssl_verify); on the same host as nginx, plain loopback is enough.
certfile = os.environ.get("GUNICORN_CERTFILE") or None
keyfile = os.environ.get("GUNICORN_KEYFILE") or None
