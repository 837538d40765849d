import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Load every view now (the URL patterns import them), then move everything loaded so far out
# of the garbage collector's way: it lives as long as the worker. Without this, a full
# collection walks these ~120,000 objects every few hundred requests, a pause of ~60 ms that
# the requests queued behind it wait out (bench/README.md, W2's p95 and p99).
get_resolver().url_patterns  # noqa: B018 - imported for its side effect
gc.freeze()
