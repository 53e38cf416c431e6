from django.urls import path, re_path

from api.api import api
from api.errors import error_response


def unknown_route(request, rest):
    return error_response(404, f"No route {request.method} /v1/{rest}.")


urlpatterns = [path("", api.urls), re_path(r"^(?P<rest>.*)$", unknown_route)]
