"""Benchmark-only settings: Herald's settings plus Django admin, to compare the Activity list with
admin's changelist of the same table. Never used by the product."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.admin"]
# The test client's host; no setup_test_environment(), whose template instrumentation would
# add its own cost to every page.
ALLOWED_HOSTS = ["testserver"]
ROOT_URLCONF = "benchmarks.admin_urls"
# Admin's pages have inline scripts of their own; the benchmark measures time, not the CSP.
SECURE_CSP = {}
# Pages render `{% static %}` without a collectstatic run.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
