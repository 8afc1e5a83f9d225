from django.core.management.base import BaseCommand

from pitstop.loyalty.tasks import expire_loyalty


class Command(BaseCommand):
    help = "Write off points and package-card uses past their date (run nightly)."

    def handle(self, *args, **options):
        result = expire_loyalty()
        self.stdout.write(
            f"points expired: {result['points']}, package-card uses expired: {result['card_uses']}"
        )
