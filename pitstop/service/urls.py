from .views import appointments, catalogue, setup

app_name = "service"
urlpatterns = [
    *setup.urlpatterns,
    *catalogue.urlpatterns,
    *appointments.urlpatterns,
]
