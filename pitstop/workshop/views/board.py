"""The workshop board and its TV view (F-4.2)."""

urlpatterns: list = []
