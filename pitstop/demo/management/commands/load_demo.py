from django.core.management.base import BaseCommand

from pitstop.billing.demo import load_billing_demo
from pitstop.customers.demo import DEMO_PASSWORD, STAFF, load_demo
from pitstop.loyalty.demo import load_loyalty_demo
from pitstop.messaging.demo import load_messaging_demo
from pitstop.parts.demo import load_parts_demo, load_parts_documents_demo
from pitstop.service.demo import load_appointments_demo, load_service_catalogue_demo
from pitstop.workshop.demo import load_workshop_demo


class Command(BaseCommand):
    help = "Load the demo shop once (HQ, two stores, one login per role, customers, vehicles, parts)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true")

    def handle(self, *args, quiet_logins=False, **options):
        result = load_demo()
        if result["created"]:
            self.stdout.write(
                self.style.SUCCESS(
                    f"demo loaded: {result['customers']} customers, {result['vehicles']} vehicles"
                )
            )
        parts = (
            load_parts_demo()
        )  # each part of the demo loads once, so later modules add to an existing demo
        if parts["created"]:
            self.stdout.write(
                self.style.SUCCESS(f"demo parts loaded: {parts['parts']} parts with opening stock")
            )
        if load_parts_documents_demo()["created"]:
            self.stdout.write(self.style.SUCCESS("demo parts documents loaded"))
        if load_service_catalogue_demo().get("created"):
            self.stdout.write(self.style.SUCCESS("demo workshop and labour catalogue loaded"))
        if load_messaging_demo().get("created"):
            self.stdout.write(self.style.SUCCESS("demo messages loaded"))
        if load_appointments_demo()["created"]:
            self.stdout.write(self.style.SUCCESS("demo appointments for tomorrow loaded"))
        workshop = load_workshop_demo()
        if workshop["created"]:
            self.stdout.write(
                self.style.SUCCESS(f"demo workshop loaded: {workshop['orders']} work orders across the board")
            )
        loyalty = load_loyalty_demo()
        if loyalty["created"]:
            self.stdout.write(self.style.SUCCESS(f"demo loyalty loaded: {loyalty['members']} members"))
        if load_billing_demo()["created"]:
            self.stdout.write(self.style.SUCCESS("demo cash desk settings and a credit account loaded"))
        if not quiet_logins:
            self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
            for username, role, store, name in STAFF:
                self.stdout.write(f"  {username:<11} {role:<14} {store:<5} {name}")
