"""The technician's tablet: my jobs, clock on and off, findings, parts requests (F-4.3, F-4.8)."""

urlpatterns: list = []
