"""The advisor's tasks: progress checks, delays, the washing queue and the ready notice (F-4.4, F-4.6)."""

urlpatterns: list = []
