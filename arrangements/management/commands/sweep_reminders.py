from arrangements.reminders import reminders_sweep
from buddying.management.base import ServiceCommand


class Command(ServiceCommand):
    help = "Run the daily reminder sweep now (what Celery beat runs each morning). Safe to run more than once."

    def handle(self, *args: object, **options: object) -> None:
        result = reminders_sweep()
        self.stdout.write(
            f"{result.claimed} reminders claimed and queued; {result.requeued_reminders} unsent reminders and "
            f"{result.requeued_emails} unsent emails queued again."
        )
