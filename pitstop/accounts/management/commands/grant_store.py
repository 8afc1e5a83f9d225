from django.core.management.base import BaseCommand, CommandError

from pitstop.accounts.models import Store, User
from pitstop.accounts.roles import ROLE_CODES
from pitstop.accounts.services import store_grant
from pitstop.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Give a user a role in a (further) store."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--store", required=True, help="store code")
        parser.add_argument("--role", required=True, choices=ROLE_CODES)

    def handle(self, *args, username, store, role, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username}")
        store_obj = Store.objects.filter(code=store.upper()).first()
        if store_obj is None:
            raise CommandError(f"no store with code {store}")
        try:
            store_grant(user=user, store=store_obj, role_code=role)
        except ApplicationError as error:
            raise CommandError(error.message) from None
        self.stdout.write(self.style.SUCCESS(f"{username}: {role} @ {store_obj.code}"))
