"""Reception pages (F-3.1, F-3.2, F-3.6)."""

urlpatterns: list = []
