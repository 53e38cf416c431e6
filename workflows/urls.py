from django.urls import path

from workflows import views

app_name = "workflows"

urlpatterns = [
    path("", views.workflow_index, name="index"),
    path("new/", views.workflow_create_view, name="create"),
    path("<int:pk>/", views.workflow_detail, name="detail"),
    path("<int:pk>/delete/", views.workflow_delete_view, name="delete"),
    path("<int:pk>/steps/add/", views.step_add, name="step_add"),
    path("<int:pk>/steps/<int:step_pk>/", views.step_edit, name="step_edit"),
    path("<int:pk>/steps/<int:step_pk>/move/", views.step_move_view, name="step_move"),
    path("<int:pk>/steps/<int:step_pk>/delete/", views.step_delete_view, name="step_delete"),
    path("<int:pk>/steps/<int:step_pk>/preview/", views.step_preview_view, name="step_preview"),
    path(
        "<int:pk>/steps/<int:step_pk>/preview/email/<str:document_id>/",
        views.step_email_document,
        name="email_document",
    ),
]

# Groups and feeds are their own sections of the sidebar, each with its own namespace.
group_urlpatterns = views.workflow_groups.urls
feed_urlpatterns = views.feeds.urls
