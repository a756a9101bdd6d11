from typing import Any

from django.core.management.base import CommandError, CommandParser

from buddying.management.base import ServiceCommand
from buddying.models import Trust
from matching.engine import EngineInputError
from matching.management.commands._matching_options import (
    add_settings_arguments,
    member_lines,
    run_json,
    settings_from_options,
)
from matching.models import MatchRun
from matching.services import team_run


class Command(ServiceCommand):
    help = "Choose up to k buddies for ODS_CODE that together cover its needs, each leading on what it is best at."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ods_code")
        parser.add_argument("-k", "--size", type=int, default=3, help="most buddies in the team (default %(default)s)")
        parser.add_argument("--no-exact", action="store_true", help="skip the exact solver (heuristic only)")
        add_settings_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        settings = settings_from_options(options)
        trust = Trust.objects.filter(ods_code=str(options["ods_code"]).upper()).first()
        if trust is None:
            raise CommandError(f"No trust has the ODS code {options['ods_code']}")
        try:
            run = team_run(
                trust=trust,
                by=None,
                settings=settings,
                k=int(options["size"]),
                exact=not options["no_exact"],
                source=MatchRun.Source.COMMAND,
            )
        except EngineInputError as error:
            raise CommandError(str(error)) from None
        if options["json"]:
            self.stdout.write(run_json(run))
            return
        results: dict[str, Any] = run.results or {}  # a finished run's: never None here
        team = results["exact"] or results["heuristic"]
        self.stdout.write(f"Team for {trust} (run {run.pk}): covers {team['coverage'] * 100:.0f}% of prioritised needs")
        for member in team["members"]:
            for line in member_lines(member):
                self.stdout.write(f"  {line}")
        if team["unmet_needs"]:
            self.stdout.write("  Not covered: " + ", ".join(need["name"] for need in team["unmet_needs"]))
        if results["gap"] is not None:
            self.stdout.write(
                f"Heuristic {results['heuristic_ms']:.2f} ms; exact {results['exact_ms']:.1f} ms; "
                f"gap {results['gap'] * 100:.2f}%"
            )
