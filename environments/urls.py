from django.urls import path

from environments import views

app_name = "api_keys"

urlpatterns = [
    path("", views.api_key_index, name="index"),
    path("new/", views.api_key_new, name="create"),
    path("<int:pk>/rotate/", views.api_key_rotate_view, name="rotate"),
    path("<int:pk>/revoke/", views.api_key_revoke_view, name="revoke"),
]
