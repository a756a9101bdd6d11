from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from buddying.importers import ImportFileError, read_trust_file
from buddying.services import trusts_import


class Command(BaseCommand):
    help = (
        "Import trusts from an NHS ODS trust CSV (etr.csv layout) or a GeoJSON FeatureCollection of Points "
        "(properties name, org_id, post_code). Upserts by ODS code; all or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: object, file: Path, **options: object) -> None:
        try:
            records = read_trust_file(file, today=timezone.localdate())
        except ImportFileError as error:
            raise CommandError(f"{file.name}: {error}. Nothing was imported.") from None
        result = trusts_import(records=records)
        self.stdout.write(f"Imported {file.name}: {result}.")
