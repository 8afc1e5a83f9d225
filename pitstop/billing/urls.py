from .views import closing, delivery, desk, receivables

app_name = "billing"
urlpatterns = [
    *desk.urlpatterns,
    *delivery.urlpatterns,
    *receivables.urlpatterns,
    *closing.urlpatterns,
]
