from django.urls import path

from .views import (
    catalogue,
    job_parts,
    levels,
    old_parts,
    purchasing,
    reports,
    sales,
    stock,
    stocktake,
    transfers,
)

app_name = "parts"
urlpatterns = [
    path("parts/stock/", stock.stock_list, name="stock_list"),
    path("parts/<int:pk>/", stock.part_detail, name="part_detail"),
    path("parts/receive/", stock.receive, name="receive"),
    path("parts/issue/", stock.issue, name="issue"),
    path("parts/slips/<str:number>/", stock.slip, name="slip"),
    path("parts/suggestions/", stock.suggestions, name="suggestions"),
    *catalogue.urlpatterns,
    *job_parts.urlpatterns,
    *levels.urlpatterns,
    *purchasing.urlpatterns,
    *stocktake.urlpatterns,
    *transfers.urlpatterns,
    *sales.urlpatterns,
    *old_parts.urlpatterns,
    *reports.urlpatterns,
]
