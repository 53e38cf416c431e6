"""Benchmark-only URLs: Herald's, with Django admin at /bench-admin/ showing Notification."""

from django.contrib import admin
from django.urls import path

from activity.models import Notification
from config.urls import urlpatterns as herald_urlpatterns

handler403 = "environments.views.permission_denied"
handler404 = "environments.views.page_not_found"


class NotificationAdmin(admin.ModelAdmin):
    """The changelist an admin site would give: newest first, with a status filter, 50 a page
    (OFFSET pages and a COUNT of the table, as admin does)."""

    list_display = ("workflow_name", "subscriber", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("subscriber",)
    list_per_page = 50
    ordering = ("-created_at", "-id")
    show_full_result_count = True

    def get_queryset(self, request):
        # Admin knows no environment scope: the benchmark names the environment itself.
        return Notification.unscoped_across_environments.filter(
            environment__slug="development", environment__organization__slug="bench"
        ).select_related("subscriber")


site = admin.AdminSite(name="bench_admin")
site.register(Notification, NotificationAdmin)

urlpatterns = [path("bench-admin/", site.urls), *herald_urlpatterns]
