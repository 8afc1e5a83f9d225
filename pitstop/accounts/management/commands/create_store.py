from django.core.management.base import BaseCommand, CommandError

from pitstop.accounts.services import store_create
from pitstop.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Create a store (or the headquarters with --hq): manage.py create_store CODE NAME"

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("name")
        parser.add_argument("--hq", action="store_true", help="this is the headquarters")
        parser.add_argument("--address", default="")
        parser.add_argument("--phone", default="")

    def handle(self, *args, code, name, hq, address, phone, **options):
        try:
            store = store_create(code=code, name=name, is_headquarters=hq, address=address, phone=phone)
        except ApplicationError as error:
            raise CommandError(error.message) from None
        self.stdout.write(self.style.SUCCESS(f"store {store.code} {store.name}"))
