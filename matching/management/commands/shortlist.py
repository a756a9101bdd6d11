from typing import Any

from django.core.management.base import CommandError, CommandParser

from buddying.management.base import ServiceCommand
from buddying.models import Trust
from matching.engine import EngineInputError
from matching.management.commands._matching_options import (
    add_settings_arguments,
    run_json,
    settings_from_options,
    travel_text,
)
from matching.models import MatchRun
from matching.services import shortlist_run


class Command(ServiceCommand):
    help = "Rank the trusts that could buddy ODS_CODE, with reasons and exclusions. The run is recorded."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ods_code")
        parser.add_argument("-k", "--top", type=int, default=10, help="how many to rank (default %(default)s)")
        add_settings_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
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
        results: dict[str, Any] = run.results or {}  # a finished run's: never None here
        for warning in results["warnings"]:
            self.stdout.write(f"Warning: {warning}")
        self.stdout.write(
            f"Shortlist for {trust} (run {run.pk}, {results['considered']} candidates, {run.engine_ms:.1f} ms)"
        )
        for met in results["met_by_existing"]:
            self.stdout.write(f"Already covered by a current buddy: {met['name']} ({met['buddy']['name']})")
        for candidate in results["ranked"]:
            self.stdout.write(
                f"{candidate['rank']:>3}. {candidate['ods_code']} {candidate['name']}: "
                f"{candidate['total'] * 100:.0f}/100, {travel_text(candidate)}"
            )
            known, of = candidate["completeness"]["known"], candidate["completeness"]["of"]
            missing = ", ".join(f"no {part}" for part in candidate["missing"])
            self.stdout.write(f"       Profile {known} of {of} known" + (f": {missing}" if missing else ""))
            for criterion in candidate["criteria"]:
                self.stdout.write(f"       {criterion['label']}: {criterion_text(criterion)}")
            for note in candidate["warnings"] + candidate["flags"]:
                self.stdout.write(f"       ! {note}")
        if not results["ranked"]:
            self.stdout.write("No trust can be recommended with these settings.")
        not_covering = len(results["not_covering"])
        trusts_cover = "trust covers" if not_covering == 1 else "trusts cover"
        self.stdout.write(f"{not_covering} eligible {trusts_cover} none of the needs (use --json for their names).")
        self.stdout.write(f"{len(results['excluded'])} excluded (use --json for the reasons).")


def criterion_text(criterion: dict[str, Any]) -> str:
    """A criterion's score and reason, or for missing data "Not known: ..." and no score that could look real."""
    if criterion["known"]:
        return f"{criterion['score'] * 100:.0f} - {criterion['reason']}"
    if criterion["reason"].lower().startswith("not known"):
        return criterion["reason"]
    return f"Not known: {criterion['reason']}"
