"""Quality checks, rework and the completion certificate (F-4.5)."""

urlpatterns: list = []
