"""Settings of the trigger benchmark's gunicorn: Herald's, with the floor view's URLconf.

Benchmark only (``benchmarks/trigger_benchmark.py`` starts gunicorn with it); nothing else
imports it.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.trigger_urls"
