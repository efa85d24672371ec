import time

from django.core.management.base import BaseCommand

from lachan.people.duplicates import duplicates_detect_all


class Command(BaseCommand):
    help = "Find likely duplicate people in the whole database (same ID; name + birth date + commune; phone + name)."

    def handle(self, *args, **options):
        started = time.monotonic()
        found = duplicates_detect_all()
        for reason, n in sorted(found.items()):
            self.stdout.write(f"{reason}: {n} new")
        self.stdout.write(self.style.SUCCESS(f"{sum(found.values())} new candidates in {time.monotonic() - started:.1f} s"))
