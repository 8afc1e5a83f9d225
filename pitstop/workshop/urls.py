from .views import board, checks, dispatch, parts_requests, pdi, progress, technician, tools

app_name = "workshop"
urlpatterns = [
    *board.urlpatterns,
    *dispatch.urlpatterns,
    *technician.urlpatterns,
    *parts_requests.urlpatterns,
    *progress.urlpatterns,
    *checks.urlpatterns,
    *tools.urlpatterns,
    *pdi.urlpatterns,
]
