from django.urls import path

from subscribers import views

app_name = "subscribers"

urlpatterns = [
    path("", views.subscriber_index, name="index"),
    path("new/", views.subscriber_create_view, name="create"),
    path("<uuid:public_id>/", views.subscriber_detail, name="detail"),
    path("<uuid:public_id>/edit/", views.subscriber_edit_view, name="edit"),
    path("<uuid:public_id>/delete/", views.subscriber_delete_view, name="delete"),
    path(
        "<uuid:public_id>/preferences/<int:workflow_pk>/",
        views.subscriber_preference_view,
        name="preference",
    ),
]

# Topics are their own section of the sidebar, with their own namespace.
topic_urlpatterns = (
    [
        path("", views.topic_index, name="index"),
        path("new/", views.topic_create_view, name="create"),
        path("<uuid:public_id>/", views.topic_detail, name="detail"),
        path("<uuid:public_id>/rename/", views.topic_rename_view, name="rename"),
        path("<uuid:public_id>/delete/", views.topic_delete_view, name="delete"),
        path(
            "<uuid:public_id>/subscribers/add/",
            views.topic_subscribers_add_view,
            name="subscribers_add",
        ),
        path(
            "<uuid:public_id>/subscribers/<uuid:subscriber_public_id>/remove/",
            views.topic_subscriber_remove_view,
            name="subscriber_remove",
        ),
    ],
    "topics",
)
