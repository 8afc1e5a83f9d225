from django.urls import path

from . import views

app_name = "parts"
urlpatterns = [
    path("parts/stock/", views.stock_list, name="stock_list"),
    path("parts/<int:pk>/", views.part_detail, name="part_detail"),
    path("parts/receive/", views.receive, name="receive"),
    path("parts/issue/", views.issue, name="issue"),
    path("parts/slips/<str:number>/", views.slip, name="slip"),
    path("parts/suggestions/", views.suggestions, name="suggestions"),
]
