"""The base of every management command: any failure ends in one readable line and a non-zero exit.

Django prints a traceback for any exception but CommandError. An operator running `import_trusts` on a bad file,
or a command while the database is down, needs one line that says what went wrong, not a stack; `--traceback`
still shows the stack for a developer.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError


def first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


class ServiceCommand(BaseCommand):
    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except (CommandError, KeyboardInterrupt, SystemExit):
            raise
        except Exception as error:
            if options.get("traceback"):
                raise
            if isinstance(error, DatabaseError):
                raise CommandError(f"The database could not be used: {first_line(error)}") from None
            raise CommandError(
                f"Stopped by an unexpected error ({type(error).__name__}: {first_line(error)}); "
                "run again with --traceback for the details"
            ) from None
