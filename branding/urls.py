from django.urls import path

from branding import views

app_name = "layouts"

urlpatterns = [
    path("", views.layout_index, name="index"),
    path("new/", views.layout_new, name="create"),
    path("<int:pk>/", views.layout_edit, name="edit"),
    path("<int:pk>/default/", views.layout_default, name="make_default"),
    path("<int:pk>/delete/", views.layout_remove, name="delete"),
]

brand_urlpatterns = ([path("", views.brand_settings, name="index")], "brand")
