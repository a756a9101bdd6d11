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
from matching.models import Framework, MatchRun
from matching.services import WAVE_METHODS, wave_run_create


class Command(ServiceCommand):
    help = "Allocate buddies to several trusts at once, sharing the pool's capacity. Runs here and is recorded."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ods_codes", nargs="+", metavar="ODS_CODE")
        parser.add_argument("-k", "--size", type=int, default=3, help="most buddies per trust (default %(default)s)")
        parser.add_argument("--method", choices=WAVE_METHODS, default="coverage", help="default %(default)s")
        parser.add_argument(
            "--framework",
            metavar="NAME",
            help="only the members of this live framework's pool (implies --pool-only)",
        )
        add_settings_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        framework = None
        if options["framework"]:
            framework = Framework.objects.filter(status=Framework.Status.LIVE, name=options["framework"]).first()
            if framework is None:
                raise CommandError(f"No live framework is named {options['framework']!r}")
            options["pool_only"] = True
        settings = settings_from_options(options)
        codes = [str(code).upper() for code in options["ods_codes"]]
        if len(set(codes)) != len(codes):
            raise CommandError("Each ODS code can be given once")
        found = {trust.ods_code: trust for trust in Trust.objects.filter(ods_code__in=codes)}
        missing = [code for code in codes if code not in found]
        if missing:
            raise CommandError(f"No trust has the ODS code {', '.join(missing)}")
        try:
            run = wave_run_create(
                trusts=[found[code] for code in codes],
                by=None,
                settings=settings,
                k=int(options["size"]),
                method=str(options["method"]),
                framework=framework,
                source=MatchRun.Source.COMMAND,
                run_now=True,
            )
        except EngineInputError as error:
            raise CommandError(str(error)) from None
        if run.status == MatchRun.Status.FAILED:
            raise CommandError(run.error)
        if options["json"]:
            self.stdout.write(run_json(run))
            return
        results: dict[str, Any] = run.results or {}  # a finished run's: never None here
        self.stdout.write(f"Wave allocation (run {run.pk}, {results['method']}, {results['elapsed_ms']:.0f} ms)")
        self.stdout.write(
            f"Served {results['served']} of {len(results['allocations'])} "
            f"(most servable {results['max_servable']}): trusts given at least one buddy covering a need"
        )
        for allocation in results["allocations"]:
            self.stdout.write(
                f"  {allocation['ods_code']} {allocation['name']}: covers {allocation['coverage'] * 100:.0f}%"
            )
            if allocation["met_by_existing"]:
                met = ", ".join(need["name"] for need in allocation["met_by_existing"])
                self.stdout.write(f"    Already covered by current buddies: {met}")
            for member in allocation["members"]:
                for line in member_lines(member):
                    self.stdout.write(f"    {line}")
            if not allocation["members"]:
                self.stdout.write("    No buddy")
        for item in results["unallocated"]:
            self.stdout.write(f"Unserved: {item['ods_code']} {item['name']}: {item['reason']}")
