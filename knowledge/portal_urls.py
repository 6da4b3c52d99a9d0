app_name = "knowledge-portal"
urlpatterns = []
