"""A URLconf with a writing view that forgot every guard: the middleware must still refuse."""

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def forgetful_write(request, organization_slug, environment_slug):
    return HttpResponse(b"written")


urlpatterns = [
    path(
        "<slug:organization_slug>/<slug:environment_slug>/",
        include([path("forgetful/", forgetful_write)]),
    ),
    path("", include("config.urls")),
]
