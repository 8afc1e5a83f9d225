from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("search/", views.search, name="search"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/new/", views.customer_create, name="customer_create"),
    path("customers/lookup/", views.customer_lookup, name="customer_lookup"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/photo/", views.customer_photo, name="customer_photo"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/reveal/<str:field>/", views.customer_reveal, name="customer_reveal"),
    path("customers/tiers/", views.tier_list, name="tier_list"),
    path("customers/tiers/new/", views.tier_edit, name="tier_create"),
    path("customers/tiers/<int:pk>/", views.tier_edit, name="tier_edit"),
    path("customers/import/", views.import_upload, name="import_upload"),
    path("customers/import/template.xlsx", views.import_template, name="import_template"),
    path("customers/import/<int:pk>/", views.import_preview, name="import_preview"),
    path("customers/import/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("vehicles/", views.vehicle_list, name="vehicle_list"),
    path("vehicles/new/", views.vehicle_create, name="vehicle_create"),
    path("vehicles/<int:pk>/", views.vehicle_detail, name="vehicle_detail"),
    path("vehicles/<int:pk>/edit/", views.vehicle_edit, name="vehicle_edit"),
    path("vehicles/<int:pk>/people/", views.vehicle_change_party, name="vehicle_change_party"),
    path("vehicles/<int:pk>/mileage/", views.vehicle_add_mileage, name="vehicle_add_mileage"),
]
