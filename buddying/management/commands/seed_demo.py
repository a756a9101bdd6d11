from django.core.management.base import CommandParser

from buddying.demo import demo_registry_create
from buddying.management.base import ServiceCommand
from buddying.models import Trust


class Command(ServiceCommand):
    help = "Create the fictional demo registry and its accounts (printed with passwords), if the registry is empty."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2014, help="Random seed; the same seed gives the same data.")

    def handle(self, *args: object, seed: int, **options: object) -> None:
        if Trust.objects.exists():
            self.stdout.write("The registry already has trusts: demo data not loaded.")
            return
        accounts = demo_registry_create(seed=seed)
        self.stdout.write(f"Demo registry created: {Trust.objects.count()} fictional trusts.")
        self.stdout.write(
            "Demo accounts (the passwords are shown only now; reset one with 'manage.py changepassword NAME'):"
        )
        for account in (account for account in accounts if account.password):
            trust = f" for {account.trust_name}" if account.trust_name else ""
            note = f" ({account.note})" if account.note else ""
            self.stdout.write(
                f"  {account.role}{trust}{note}: username {account.username}, password {account.password}"
            )
        others = [account for account in accounts if not account.password]
        if others:
            self.stdout.write(
                f"Other demo people ({len(others)}), named in arrangements. They have no password yet: to act as one, "
                "use 'Forgotten your password?' with their email (make run prints the email in its console):"
            )
            for account in others:
                trust = f" for {account.trust_name}" if account.trust_name else ""
                self.stdout.write(f"  {account.role}{trust}: username {account.username}, email {account.email}")
