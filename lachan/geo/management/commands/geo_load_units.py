from django.conf import settings
from django.core.management.base import BaseCommand

from lachan.geo.services import admin_units_load


class Command(BaseCommand):
    help = "Load the official administrative units of a tree (the deployment's province, or --all)."

    def add_arguments(self, parser):
        parser.add_argument("--tree", default=settings.LACHAN_ADMIN_TREE, choices=["2021", "2025"])
        parser.add_argument("--province", default=settings.LACHAN_PROVINCE_CODE, help="official province code")
        parser.add_argument("--all", action="store_true", help="the whole country")

    def handle(self, *args, tree, province, all, **options):
        created = admin_units_load(tree=tree, province_code=None if all else province)
        self.stdout.write(self.style.SUCCESS(f"{created} units created (tree {tree})."))
