from .views import appointments, approval, catalogue, online, orders, reception, setup

app_name = "service"
urlpatterns = [
    *setup.urlpatterns,
    *catalogue.urlpatterns,
    *appointments.urlpatterns,
    *online.urlpatterns,
    *reception.urlpatterns,
    *orders.urlpatterns,
    *approval.urlpatterns,
]
