"""Dispatch of repair orders to bays, teams and technicians (F-4.1)."""

urlpatterns: list = []
