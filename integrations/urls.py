from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("", views.integration_index, name="index"),
    path("store/", views.integration_store, name="store"),
    path("new/<slug:provider_id>/", views.integration_new, name="create"),
    path("<uuid:public_id>/edit/", views.integration_edit, name="edit"),
    path("<uuid:public_id>/primary/", views.integration_primary, name="primary"),
    path("<uuid:public_id>/activation/", views.integration_activation, name="activation"),
    path("<uuid:public_id>/delete/", views.integration_remove, name="delete"),
    path("<uuid:public_id>/test/", views.integration_test, name="test"),
]
