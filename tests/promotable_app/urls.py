"""The project's URLs plus the test type's page: its URL name is what the Changes page links."""

from django.http import HttpResponse
from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns


def snippet(request, organization_slug, environment_slug, pk):
    return HttpResponse(f"Snippet {pk}")


snippet_urlpatterns = (
    [
        path(
            "<slug:organization_slug>/<slug:environment_slug>/snippets/<int:pk>/",
            snippet,
            name="snippet",
        )
    ],
    "promotable_app",
)

urlpatterns = [path("", include(snippet_urlpatterns)), *project_urlpatterns]
