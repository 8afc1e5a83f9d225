from .views import pages

app_name = "loyalty"
urlpatterns = [
    *pages.urlpatterns,
]
