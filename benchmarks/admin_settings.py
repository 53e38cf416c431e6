"""Benchmark-only settings: Herald's settings plus Django admin, to compare the Activity list with
admin's changelist of the same table. Never used by the product."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.admin"]
ROOT_URLCONF = "benchmarks.admin_urls"
# Admin's pages have inline scripts of their own; the benchmark measures time, not the CSP.
SECURE_CSP = {}
