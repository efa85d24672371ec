from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lachan.core.errors import DomainError
from lachan.simulate.province import DEFAULT_AS_OF, province_generate


class Command(BaseCommand):
    help = "Generate the synthetic province (people, households, places) — deterministic for a seed."

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=20000)
        parser.add_argument("--seed", type=int, default=2021)
        parser.add_argument("--tree", default=settings.LACHAN_ADMIN_TREE, choices=["2021", "2025"])
        parser.add_argument("--province", default=settings.LACHAN_PROVINCE_CODE, help="official province code")
        parser.add_argument("--as-of", default=DEFAULT_AS_OF.isoformat(), help="reference date for ages (YYYY-MM-DD)")
        parser.add_argument("--fresh", action="store_true", help="delete the previously generated province first")
        parser.add_argument("--force", action="store_true", help="run even if the database holds real people/places")

    def handle(self, *args, people, seed, tree, province, as_of, fresh, force, **options):
        try:
            as_of_date = date.fromisoformat(as_of)
        except ValueError:
            raise CommandError(f"--as-of: not a date: {as_of!r}") from None
        try:
            report = province_generate(
                people=people, seed=seed, tree=tree, province_code=province, fresh=fresh, force=force,
                as_of=as_of_date, log=lambda msg: self.stdout.write(msg),
            )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        for key, value in sorted(report.counts.items()):
            self.stdout.write(f"  {key:<22} {value:>10,}")
        self.stdout.write(self.style.SUCCESS(f"Synthetic province generated in {report.seconds:.1f} s."))
