from django.core.management.base import BaseCommand

from pitstop.workshop.progress import ready_notices_due


class Command(BaseCommand):
    help = (
        "Tell owners their car will be ready: 1 hour ahead, 4 for jobs of 2 days or more (every 10 minutes)."
    )

    def handle(self, *args, **options):
        sent = ready_notices_due()
        self.stdout.write(f"ready notices sent: {sent}")
