from django.conf import settings
from django.urls import include, path

from accounts.urls import members_urlpatterns
from branding.urls import brand_urlpatterns
from environments import views as environment_views
from subscribers.urls import topic_urlpatterns
from workflows.urls import feed_urlpatterns, group_urlpatterns

environment_urlpatterns = [
    path("", environment_views.overview, name="overview"),
    path("workflows/", include("workflows.urls")),
    path("workflow-groups/", include(group_urlpatterns)),
    path("feeds/", include(feed_urlpatterns)),
    path("layouts/", include("branding.urls")),
    path("brand/", include(brand_urlpatterns)),
    path("changes/", include("changes.urls")),
    path("subscribers/", include("subscribers.urls")),
    path("topics/", include(topic_urlpatterns)),
    path("activity/", include("activity.urls")),
    path("api-keys/", include("environments.urls")),
    path("integrations/", include("integrations.urls")),
    path("members/", include(members_urlpatterns)),
]

urlpatterns = [
    path("", environment_views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("v1/", include("api.urls")),
    path("accounts/", include("onboarding.urls")),
    path(
        "<slug:organization_slug>/", environment_views.organization_home, name="organization_home"
    ),
    path("<slug:organization_slug>/<slug:environment_slug>/", include(environment_urlpatterns)),
]

handler403 = "environments.views.permission_denied"
handler404 = "environments.views.page_not_found"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns = static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT) + urlpatterns
