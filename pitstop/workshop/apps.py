from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _workshop_panel(request) -> dict | None:
    from .panels import workshop_today

    return workshop_today(user=request.user, store=request.store)


class WorkshopConfig(AppConfig):
    name = "pitstop.workshop"
    label = "workshop"
    verbose_name = _("Workshop")

    def ready(self):
        from pitstop.accounts.navigation import HomePanel, MenuEntry, register_menu, register_panel

        workshop, quality, warehouse = _("Workshop"), _("Quality and equipment"), _("Warehouse")
        register_menu(
            MenuEntry(_("Workshop board"), "workshop:board", "service.view_repairorder", workshop, 40),
            MenuEntry(_("TV board"), "workshop:board_tv", "service.view_repairorder", workshop, 40),
            MenuEntry(_("My jobs"), "workshop:my_jobs", "service.work_repairorder", workshop, 41),
            MenuEntry(_("Dispatch"), "workshop:dispatch_list", "service.dispatch_repairorder", workshop, 42),
            MenuEntry(
                _("Progress checks and delays"),
                "workshop:advisor_tasks",
                "workshop.view_advisortask",
                workshop,
                43,
            ),
            MenuEntry(_("Washing queue"), "workshop:washing", "service.view_repairorder", workshop, 44),
            MenuEntry(
                _("Hours clocked vs charged"),
                "workshop:time_report",
                "service.dispatch_repairorder",
                workshop,
                45,
            ),
            MenuEntry(_("Teams"), "workshop:teams", "service.dispatch_repairorder", workshop, 46),
            MenuEntry(_("Quality checks"), "workshop:qc_queue", "service.inspect_repairorder", quality, 50),
            MenuEntry(
                _("Rework report"), "workshop:rework_report", "workshop.view_qualitycheck", quality, 51
            ),
            MenuEntry(_("Tools and equipment"), "workshop:tools", "workshop.view_tool", quality, 52),
            MenuEntry(_("PDI checks"), "workshop:pdi_list", "workshop.view_pdicheck", quality, 53),
            MenuEntry(
                _("Parts requests"), "workshop:parts_requests", "workshop.change_partsrequest", warehouse, 33
            ),
        )
        register_panel(
            HomePanel(
                "workshop/panels/today.html",
                "service.view_repairorder",
                _workshop_panel,
                11,
                frozenset(
                    {
                        "advisor",
                        "dispatcher",
                        "technician",
                        "team_leader",
                        "qc_inspector",
                        "warehouse",
                        "store_manager",
                    }
                ),
            )
        )
