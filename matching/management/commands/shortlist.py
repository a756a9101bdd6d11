from django.core.management.base import BaseCommand, CommandError, CommandParser

from buddying.models import Trust
from matching.engine import EngineInputError
from matching.management.commands._matching_options import add_settings_arguments, run_json, settings_from_options
from matching.models import MatchRun
from matching.services import shortlist_run


class Command(BaseCommand):
    help = "Rank the trusts that could buddy ODS_CODE, with reasons and exclusions. The run is recorded."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ods_code")
        parser.add_argument("-k", "--top", type=int, default=10, help="how many to rank (default %(default)s)")
        add_settings_arguments(parser)

    def handle(self, *args: object, **options: object) -> None:
        settings = settings_from_options(options)
        trust = Trust.objects.filter(ods_code=str(options["ods_code"]).upper()).first()
        if trust is None:
            raise CommandError(f"No trust has the ODS code {options['ods_code']}")
        try:
            run = shortlist_run(
                trust=trust, by=None, settings=settings, k=int(options["top"]), source=MatchRun.Source.COMMAND
            )
        except EngineInputError as error:
            raise CommandError(str(error)) from None
        if options["json"]:
            self.stdout.write(run_json(run))
            return
        results = run.results
        self.stdout.write(
            f"Shortlist for {trust} (run {run.pk}, {results['considered']} candidates, {run.engine_ms:.1f} ms)"
        )
        for candidate in results["ranked"]:
            self.stdout.write(
                f"{candidate['rank']:>3}. {candidate['ods_code']} {candidate['name']}: "
                f"{candidate['total'] * 100:.0f}/100, "
                f"{candidate['distance_km']:.0f} km, ~{candidate['travel_minutes']} min"
            )
            for criterion in candidate["criteria"]:
                self.stdout.write(
                    f"       {criterion['label']}: {criterion['score'] * 100:.0f} - {criterion['reason']}"
                )
            for note in candidate["warnings"] + candidate["flags"]:
                self.stdout.write(f"       ! {note}")
        self.stdout.write(f"{len(results['excluded'])} excluded (use --json for the reasons).")
