from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _bookings_panel(request) -> dict | None:
    import datetime

    from django.utils import timezone

    from .appointments import appointments_between, appointments_for

    today = timezone.localdate()
    waiting = appointments_for(request.user, request.store).filter(status="requested").count()
    days = {
        "today": appointments_between(user=request.user, store=request.store, first=today, last=today),
        "tomorrow": appointments_between(
            user=request.user,
            store=request.store,
            first=today + datetime.timedelta(days=1),
            last=today + datetime.timedelta(days=1),
            active_only=True,
        ),
    }
    return {
        "waiting": waiting,
        "today": list(days["today"].filter(status__in=["confirmed", "arrived", "requested"])[:8]),
        "tomorrow_count": days["tomorrow"].count(),
    }


class ServiceConfig(AppConfig):
    name = "pitstop.service"
    label = "service"
    verbose_name = _("Service")

    def ready(self):
        from pitstop.accounts.navigation import HomePanel, MenuEntry, register_menu, register_panel

        setup, catalogue, bookings = _("Workshop set-up"), _("Labour and jobs"), _("Appointments")
        reception = _("Reception")
        register_menu(
            MenuEntry(
                _("Receive a car"), "service:reception_start", "service.add_repairorder", reception, 10
            ),
            MenuEntry(_("Work orders"), "service:order_list", "service.view_repairorder", reception, 11),
            MenuEntry(_("Appointments"), "service:appointment_day", "service.view_appointment", bookings, 20),
            MenuEntry(
                _("New appointment"), "service:appointment_new", "service.add_appointment", bookings, 21
            ),
            MenuEntry(
                _("To confirm"), "service:appointment_to_confirm", "service.change_appointment", bookings, 22
            ),
            MenuEntry(
                _("Tomorrow's bookings"),
                "service:appointment_tomorrow",
                "service.view_appointment",
                bookings,
                23,
            ),
            MenuEntry(
                _("Appointment analysis"),
                "service:appointment_analysis",
                "service.view_appointment",
                bookings,
                24,
            ),
            MenuEntry(
                _("Parts short for appointments"),
                "service:appointment_shortages",
                "service.view_appointment",
                bookings,
                25,
            ),
            MenuEntry(
                _("Labour catalogue"), "service:labour_list", "service.view_labouroperation", catalogue, 60
            ),
            MenuEntry(_("Canned jobs"), "service:job_list", "service.view_cannedjob", catalogue, 61),
            MenuEntry(
                _("Maintenance plans"), "service:plan_list", "service.view_maintenanceplan", catalogue, 62
            ),
            MenuEntry(
                _("Workshop settings"), "service:settings", "service.change_workshopsettings", setup, 70
            ),
            MenuEntry(_("Bays"), "service:bays", "service.view_bay", setup, 71),
            MenuEntry(_("Duty roster"), "service:duty", "service.view_technicianduty", setup, 72),
            MenuEntry(_("Labour rates"), "service:rates", "service.view_labourrate", setup, 73),
        )
        register_panel(
            HomePanel(
                "service/panels/bookings.html",
                "service.view_appointment",
                _bookings_panel,
                12,
                frozenset({"advisor", "care_agent", "store_manager", "dispatcher"}),
            )
        )
