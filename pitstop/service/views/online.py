"""The owners' public booking page (F-2, B-4)."""

urlpatterns: list = []
