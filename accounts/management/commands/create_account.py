from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from accounts.services import AccountCreationError, create_account


class Command(BaseCommand):
    help = "Create an account with its owner."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--plan", required=True)

    def handle(self, *args, name, owner_email, password, plan, **options):
        if not name.strip():
            raise CommandError("The account name cannot be empty.")
        try:
            validate_email(owner_email)
        except ValidationError:
            raise CommandError(f"'{owner_email}' is not a valid email address.")
        if not password:
            raise CommandError("The password cannot be empty.")
        try:
            account, owner = create_account(
                name=name.strip(), owner_email=owner_email, password=password, plan_code=plan
            )
        except AccountCreationError as error:
            raise CommandError(str(error))
        self.stdout.write(
            self.style.SUCCESS(f"Created account {account.name} ({account.id}) on the {account.plan.name} plan, owned by {owner.email}.")
        )
