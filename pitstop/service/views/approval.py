"""The owner's add-on approval link (public, by token) and the advisor's side of it (B-2, F-4.3)."""

urlpatterns: list = []
