"""Repair order pages: list, detail, estimate lines, signature, printed forms (F-3.4, F-3.5)."""

urlpatterns: list = []
