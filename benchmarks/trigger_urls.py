"""Herald's URLs plus the benchmark's floor: a bare Django view that stores one row per request.

The floor is the least a trigger could cost on the same gunicorn, Django and database: parse
the JSON body, insert one row through the ORM, answer 201. Herald's trigger throughput is read
as a fraction of it. Benchmark only: ``benchmarks/trigger_settings.py`` points gunicorn here.
"""

import json

from django.db import models
from django.http import JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as herald_urlpatterns

FLOOR_TABLE = "benchmark_floor_row"


class FloorRow(models.Model):
    """One request to the floor. Its table is made by the benchmark, not by migrations."""

    body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "benchmarks"
        db_table = FLOOR_TABLE
        managed = False

    def __str__(self):
        return f"floor row {self.pk}"


@csrf_exempt
def floor(request):
    FloorRow.objects.create(body=json.loads(request.body))
    return JsonResponse({"data": {"acknowledged": True}}, status=201)


urlpatterns = [path("benchmark/floor", floor), *herald_urlpatterns]
