from django.core.management.base import BaseCommand

from pitstop.service.reminders import send_appointment_reminders


class Command(BaseCommand):
    help = "Send the owners of upcoming bookings their reminder (run once a day, e.g. from cron)."

    def handle(self, *args, **options):
        run = send_appointment_reminders()
        self.stdout.write(f"reminders sent: {run.sent}, already sent: {run.skipped}")
        for problem in run.problems:
            self.stderr.write(problem)
