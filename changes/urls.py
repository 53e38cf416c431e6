from django.urls import path

from changes import views

app_name = "changes"

urlpatterns = [
    path("", views.change_index, name="index"),
    path("count/", views.change_count, name="count"),
    path("change/", views.change_detail, name="change"),
    path("summary/", views.change_summary, name="summary"),
    path("apply/", views.change_apply, name="apply"),
    path("apply-selected/", views.change_apply_selected, name="apply_selected"),
    path("promote/", views.change_promote_all, name="promote"),
    path("discard/", views.change_discard_view, name="discard"),
    path("history/", views.promotion_index, name="history"),
    path("history/<int:pk>/", views.promotion_detail, name="promotion"),
    path("history/<int:pk>/revert/", views.promotion_revert_view, name="revert"),
    path("insert-environment/", views.environment_insert_view, name="environment_insert"),
]
