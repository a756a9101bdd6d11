"""Gunicorn's settings for the web process (gunicorn reads ./gunicorn.conf.py from where it starts).

Override any of them without editing this file through gunicorn's own GUNICORN_CMD_ARGS, e.g.
GUNICORN_CMD_ARGS="--bind 127.0.0.1:8001 --workers 4" (see README: Production).
"""

import multiprocessing
import os

wsgi_app = "buddying.wsgi"
bind = ["0.0.0.0:8000"]
# WEB_CONCURRENCY is the usual knob; by default two processes per CPU plus one.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
timeout = 60
graceful_timeout = 30
# Workers are replaced after this many requests (spread out by the jitter) so that no leak grows for ever;
# a replacement forks from the warm master (below), so its first request is as fast as any other.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
# Load Django once in the master, warm it (buddying.warmup: every view, template and the PDF engine), then fork:
# each worker starts warm and shares that memory. A code change needs a restart, not a HUP.
preload_app = True


def when_ready(server):  # gunicorn calls this in the master, before forking the workers
    from buddying.warmup import warm

    seconds = warm()
    server.log.info("Warmed the application in %.2f s before starting the workers", seconds)
