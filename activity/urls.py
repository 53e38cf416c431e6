from django.urls import path

from activity import views

app_name = "activity"

urlpatterns = [
    path("", views.notification_index, name="index"),
    path("<uuid:public_id>/", views.notification_detail, name="notification"),
    path(
        "messages/<uuid:public_id>/email/",
        views.message_email_document,
        name="email_document",
    ),
    path("subscribers/<uuid:public_id>/", views.subscriber_activity, name="subscriber"),
]
