from django.urls import path

from onboarding import views

app_name = "onboarding"

# Mounted under /accounts/, beside login and logout.
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/<str:token>/", views.signup_finish, name="signup_finish"),
    path("organizations/new/", views.organization_new, name="organization_new"),
]
