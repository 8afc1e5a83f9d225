"""PDI checks of new cars (F-4.9)."""

urlpatterns: list = []
