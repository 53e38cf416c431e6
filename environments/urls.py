from django.urls import path

from environments import views

app_name = "api_keys"

urlpatterns = [
    path("", views.api_key_index, name="index"),
    path("new/", views.api_key_new, name="create"),
    path("<int:pk>/rotate/", views.api_key_rotate_view, name="rotate"),
    path("<int:pk>/revoke/", views.api_key_revoke_view, name="revoke"),
    path("client-origins/", views.client_origins_update, name="client_origins"),
    path("client-hmac/enable/", views.client_hmac_enable_view, name="client_hmac_enable"),
    path("client-hmac/rotate/", views.client_hmac_rotate_view, name="client_hmac_rotate"),
    path("client-hmac/disable/", views.client_hmac_disable_view, name="client_hmac_disable"),
]
