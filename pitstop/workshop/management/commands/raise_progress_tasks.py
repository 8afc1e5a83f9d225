from django.core.management.base import BaseCommand

from pitstop.workshop.progress import raise_progress_tasks


class Command(BaseCommand):
    help = "Raise the advisors' progress-check and late-job tasks that are due (run every 10 minutes)."

    def handle(self, *args, **options):
        raised = raise_progress_tasks()
        self.stdout.write(f"tasks raised: {raised}")
