from django.core.management.base import BaseCommand, CommandError

from pitstop.accounts.models import Store
from pitstop.accounts.roles import ROLE_CODES
from pitstop.accounts.services import staff_create
from pitstop.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Create a member of staff with a role in a store."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--store", required=True, help="store code")
        parser.add_argument("--role", required=True, choices=ROLE_CODES)
        parser.add_argument("--name", default="", help="full name")
        parser.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])

    def handle(self, *args, username, password, store, role, name, language, **options):
        store_obj = Store.objects.filter(code=store.upper()).first()
        if store_obj is None:
            raise CommandError(f"no store with code {store}")
        try:
            user = staff_create(
                username=username,
                password=password,
                store=store_obj,
                role_code=role,
                full_name=name,
                language=language,
            )
        except ApplicationError as error:
            raise CommandError(error.message) from None
        self.stdout.write(self.style.SUCCESS(f"user {user.username}: {role} @ {store_obj.code}"))
