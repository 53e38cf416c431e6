from django.contrib.auth.views import (
    LogoutView,
    PasswordResetCompleteView,
    PasswordResetDoneView,
)
from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.HeraldLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("password-reset/", views.HeraldPasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        PasswordResetDoneView.as_view(template_name="accounts/password_reset_sent.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.HeraldPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
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
