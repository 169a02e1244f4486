from django.core.management.base import BaseCommand

from demo.seed import DEMO_EMAIL, DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create the demo account (once) and print how to log in."

    def handle(self, *args, **options):
        account, created = seed_demo()
        verb = "Created" if created else "Kept the existing"
        self.stdout.write(self.style.SUCCESS(f"{verb} demo account {account.name}."))
        self.stdout.write(f"Log in at /accounts/login/ with email {DEMO_EMAIL} and password {DEMO_PASSWORD}")
