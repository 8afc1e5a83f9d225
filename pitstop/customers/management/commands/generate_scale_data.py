from django.core.management.base import BaseCommand

from pitstop.customers.scale import generate


class Command(BaseCommand):
    help = "Bulk-generate customers and vehicles (1.5 per customer) for benchmarks; deterministic by seed."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=200000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--store", default="BENCH", help="store code (created if missing)")

    def handle(self, *args, customers, seed, store, **options):
        result = generate(customers=customers, seed=seed, store_code=store, log=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(
                f"{result['customers']} customers, {result['vehicles']} vehicles in store {store}"
            )
        )
