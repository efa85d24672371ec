from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lachan.core.errors import DomainError, ValidationFailed
from lachan.geo.services import admin_unit_boundaries_import


class Command(BaseCommand):
    help = "Import unit boundary polygons from a GeoJSON FeatureCollection (all features or none)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--tree", default=settings.LACHAN_ADMIN_TREE, choices=["2021", "2025"])
        parser.add_argument("--code-property", default="code", help="the feature property holding the official code")

    def handle(self, *args, file, tree, code_property, **options):
        try:
            count = admin_unit_boundaries_import(tree=tree, data=file.read_bytes(), code_property=code_property)
        except ValidationFailed as exc:
            for err in exc.errors:
                self.stderr.write(str(err.message))
            raise CommandError("Nothing imported: fix the features above.") from None
        except (DomainError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"{count} boundaries imported."))
