from django.contrib.auth.views import LogoutView
from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.HeraldLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
]

# Members are organization-wide; they are reached from inside an environment like every page.
members_urlpatterns = (
    [
        path("", views.member_index, name="index"),
        path("<int:pk>/role/", views.member_role, name="role"),
        path("<int:pk>/remove/", views.member_remove_view, name="remove"),
    ],
    "members",
)
