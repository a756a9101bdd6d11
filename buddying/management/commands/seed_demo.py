from django.core.management.base import CommandParser

from buddying.demo import demo_registry_create
from buddying.management.base import ServiceCommand
from buddying.models import Trust


class Command(ServiceCommand):
    help = "Create the fictional demo registry and one account per role, only if the registry is empty."

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
        for account in accounts:
            trust = f" for {account.trust_name}" if account.trust_name else ""
            self.stdout.write(f"  {account.role}{trust}: username {account.username}, password {account.password}")
