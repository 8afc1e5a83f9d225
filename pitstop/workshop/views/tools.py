"""Tools and equipment lent and returned (F-4.7)."""

urlpatterns: list = []
