app_name = "changes"

urlpatterns = []
