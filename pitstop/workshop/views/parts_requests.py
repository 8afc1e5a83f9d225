"""The warehouse's queue of parts asked for by technicians."""

urlpatterns: list = []
