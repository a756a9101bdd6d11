from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.urls import reverse
from django.utils import timezone

from buddying.filters import TYPE_NOT_KNOWN
from buddying.importers import ImportFileError, read_trust_file
from buddying.management.base import ServiceCommand
from buddying.models import REGISTRY_TIME_ZONE, Trust
from buddying.services import trusts_import


class Command(ServiceCommand):
    help = (
        "Import trusts from an NHS ODS trust CSV (etr.csv layout) or a GeoJSON FeatureCollection of Points "
        "(properties name, org_id, post_code; optionally region and closed_on). Upserts by ODS code; all or "
        "nothing. A trust's type is never guessed: new trusts have none until regulator staff set it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: object, file: Path, **options: object) -> None:
        try:
            records = read_trust_file(file, today=timezone.localdate(timezone=REGISTRY_TIME_ZONE))
        except ImportFileError as error:
            raise CommandError(f"{file.name}: {error}. Nothing was imported.") from None
        result = trusts_import(records=records)
        line = f"Imported {file.name}: {result}."
        untyped = Trust.objects.open().type_not_known().count()
        if untyped:
            where = f"{settings.SITE_URL}{reverse('trust-directory')}?trust_type={TYPE_NOT_KNOWN}"
            line += (
                f" {untyped} open trust{'s have' if untyped != 1 else ' has'} no type recorded:"
                f" set {'them' if untyped != 1 else 'it'} from the directory filtered to Type: not known, {where}"
            )
        self.stdout.write(line)
