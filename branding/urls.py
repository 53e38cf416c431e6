app_name = "branding"

urlpatterns = []
