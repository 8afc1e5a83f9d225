"""Sections on the vehicle and customer pages that later modules fill (appointments, repair
orders, settlements, reminders). A module registers a section in its AppConfig.ready(); the
customers app never imports it."""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class RecordSection:
    page: str  # "vehicle" or "customer"
    title: str
    template: str
    perm: str
    build: Callable[[HttpRequest, object], dict]
    order: int = 100


SECTIONS: list[RecordSection] = []


def register_section(section: RecordSection) -> None:
    SECTIONS.append(section)
    SECTIONS.sort(key=lambda s: s.order)


def sections_for(page: str, request: HttpRequest, record) -> list[dict]:
    shown = []
    for section in SECTIONS:
        if section.page == page and record.store_id in request.user.store_ids_with(section.perm):
            shown.append(
                {"title": section.title, "template": section.template, **section.build(request, record)}
            )
    return shown
