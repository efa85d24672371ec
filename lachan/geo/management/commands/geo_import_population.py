from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lachan.core.errors import DomainError, ValidationFailed
from lachan.geo.services import admin_unit_populations_import


class Command(BaseCommand):
    help = "Import unit populations from a CSV file with columns code,population (all rows or none)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--tree", default=settings.LACHAN_ADMIN_TREE, choices=["2021", "2025"])
        parser.add_argument("--year", type=int)
        parser.add_argument("--source", default="")

    def handle(self, *args, file, tree, year, source, **options):
        try:
            report = admin_unit_populations_import(tree=tree, data=file.read_bytes(), year=year, source=source)
        except ValidationFailed as exc:
            for err in exc.errors:
                self.stderr.write(f"{err.field}: {err.message}")
            raise CommandError("Nothing imported: fix the rows above.") from None
        except (DomainError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"{report.applied} populations updated."))
